//! "Did you mean …?": the closest known word to a typo, for targets, platforms and commands.

/// The candidate closest to `word` by edit distance, when it is close enough to be the word
/// that was meant (at most a third of its length, and at most 2 edits): `arm65` -> `arm64`,
/// `inspekt` -> `inspect`, but nothing for `riscv` against `amd64`.
#[must_use]
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let word = word.to_ascii_lowercase();
    let budget = (word.chars().count() / 3).clamp(1, 2);
    candidates
        .into_iter()
        .map(|c| (distance(&word, &c.to_ascii_lowercase()), c))
        .filter(|(d, _)| *d <= budget)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// `; did you mean `x`?` for `word` among `candidates`, or nothing.
#[must_use]
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    closest(word, candidates)
        .map(|c| format!("; did you mean `{c}`?"))
        .unwrap_or_default()
}

/// Levenshtein distance, with a transposition counted as one edit (`lamdba` is one typo).
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // Three rows: the one before the previous is needed for transpositions.
    let mut before: Vec<usize> = vec![0; b.len() + 1];
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        current[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (previous[j] + 1)
                .min(current[j - 1] + 1)
                .min(previous[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(before[j - 2] + 1);
            }
            current[j] = best;
        }
        std::mem::swap(&mut before, &mut previous);
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typo_finds_the_word_and_a_different_word_finds_nothing() {
        let arches = ["amd64", "arm64", "arm", "386", "riscv64"];
        assert_eq!(closest("arm65", arches), Some("arm64"));
        assert_eq!(closest("AMD64", arches), Some("amd64"));
        assert_eq!(closest("sparc", arches), None);
        assert_eq!(closest("inspekt", ["inspect", "images"]), Some("inspect"));
        assert_eq!(closest("lamdba", ["lambda", "cloudrun"]), Some("lambda"));
        assert_eq!(closest("history", ["inspect", "images", "where"]), None);
        assert_eq!(
            did_you_mean("chek", ["check", "man"]),
            "; did you mean `check`?"
        );
        assert_eq!(did_you_mean("zzz", ["check"]), "");
    }
}
