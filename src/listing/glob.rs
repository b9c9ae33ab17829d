//! Glob patterns over repository and tag names: `team/*`, `team/*:v1.*`, `app-?`.

/// A pattern split at its `:` into the repository part and, when given, the tag part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    pub repository: String,
    pub tag: Option<String>,
}

impl Pattern {
    /// `team/*:v1.*` -> repositories `team/*`, tags `v1.*`.
    #[must_use]
    pub fn parse(text: &str) -> Self {
        match text.rsplit_once(':') {
            Some((repo, tag)) => Self {
                repository: if repo.is_empty() {
                    "*".into()
                } else {
                    repo.into()
                },
                tag: Some(tag.into()),
            },
            None => Self {
                repository: text.into(),
                tag: None,
            },
        }
    }
}

/// Whether `name` matches `pattern`: `*` any run of characters (`/` included), `?` one
/// character, anything else itself. Iterative with one backtrack point: linear in practice,
/// never exponential.
#[must_use]
pub fn matches(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    let (mut pi, mut ni) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ni));
                pi += 1;
            }
            Some(&c) if c == '?' || c == n[ni] => {
                pi += 1;
                ni += 1;
            }
            _ => match star {
                Some((sp, sn)) => {
                    pi = sp + 1;
                    ni = sn + 1;
                    star = Some((sp, sn + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stars_and_question_marks() {
        assert!(matches("team/*", "team/app"));
        assert!(matches("team/*", "team/a/b"));
        assert!(!matches("team/*", "other/app"));
        assert!(matches("v1.*", "v1.2.3"));
        assert!(!matches("v1.*", "v10"));
        assert!(matches("app-?", "app-1"));
        assert!(!matches("app-?", "app-12"));
        assert!(matches("*", ""));
        assert!(matches("*a*b*", "xxaxxbxx"));
        assert!(!matches(&"*a".repeat(30), &"a".repeat(29)));
    }

    #[test]
    fn a_colon_splits_repository_and_tag() {
        let p = Pattern::parse("team/*:v1.*");
        assert_eq!(p.repository, "team/*");
        assert_eq!(p.tag.as_deref(), Some("v1.*"));
        assert_eq!(Pattern::parse(":latest").repository, "*");
        assert_eq!(Pattern::parse("team/*").tag, None);
    }
}
