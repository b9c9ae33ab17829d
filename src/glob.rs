//! Shell-style matching of names against patterns (`v1.*`, `team/*`): `[verify."PATTERN"]`
//! and other config patterns, and the tag lines of `diff --map`.

/// Shell-style match of `name` against `glob`: `*` any run, `?` one character.
#[must_use]
pub fn matches(glob: &str, name: &str) -> bool {
    let g: Vec<char> = glob.chars().collect();
    let n: Vec<char> = name.chars().collect();
    // Iterative with one backtrack point: linear-ish, no recursion on hostile globs.
    let (mut gi, mut ni) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        if gi < g.len() && (g[gi] == '?' || g[gi] == n[ni]) {
            gi += 1;
            ni += 1;
        } else if gi < g.len() && g[gi] == '*' {
            star = Some((gi, ni));
            gi += 1;
        } else if let Some((sg, sn)) = star {
            gi = sg + 1;
            ni = sn + 1;
            star = Some((sg, sn + 1));
        } else {
            return false;
        }
    }
    g[gi..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn star_and_question_mark_and_hostile_patterns() {
        assert!(matches("team/*", "team/app"));
        assert!(!matches("team/?", "team/app"));
        // One backtrack point: a pattern of many stars ends quickly.
        assert!(!matches(&"*a".repeat(40), &"a".repeat(39)));
    }
}
