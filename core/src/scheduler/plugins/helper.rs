//! Shared scoring helpers (upstream `plugins/helper/normalize_score.go`).

use crate::scheduler::framework::MAX_NODE_SCORE;

/// Scales scores so the highest becomes 100 (and reverses them when `reverse`); when every score
/// is 0 they stay 0, or all become 100 when reversed (upstream `DefaultNormalizeScore`).
pub fn default_normalize_score(scores: &mut [i64], reverse: bool) {
    let max = scores.iter().copied().max().unwrap_or(0);
    if max == 0 {
        if reverse {
            scores.iter_mut().for_each(|s| *s = MAX_NODE_SCORE);
        }
        return;
    }
    for s in scores.iter_mut() {
        let v = MAX_NODE_SCORE * *s / max;
        *s = if reverse { MAX_NODE_SCORE - v } else { v };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn scores_scale_to_the_maximum_and_reverse_on_request() {
        let cases: [(&[i64], bool, &[i64]); 4] = [
            (&[0, 0], false, &[0, 0]),
            (&[0, 0], true, &[100, 100]),
            (&[1, 3], false, &[33, 100]),
            (&[1, 3], true, &[67, 0]),
        ];
        for (input, reverse, want) in cases {
            let mut s = input.to_vec();
            default_normalize_score(&mut s, reverse);
            assert_eq!(s, want);
        }
    }
}
