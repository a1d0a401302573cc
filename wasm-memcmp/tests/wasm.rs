//! On wasm32, `memcmp` is this crate's: every ordering and equality of byte slices and strings
//! below goes through it, and must give the standard library's answers.

#![cfg(target_arch = "wasm32")]

use std::cmp::Ordering;
use std::collections::BTreeMap;

use podflow_wasm_memcmp as _;
use wasm_bindgen_test::wasm_bindgen_test;

#[wasm_bindgen_test]
fn string_order_and_equality_go_through_memcmp_and_are_right() {
    let keys: Vec<String> = (0..300)
        .map(|i| {
            format!(
                "/registry/pods/default/nginx-deployment-7c5ddbdf54-{:05x}",
                i * 7919 % 300
            )
        })
        .collect();
    let map: BTreeMap<&str, usize> = keys.iter().map(|k| (k.as_str(), 0)).collect();
    let mut sorted: Vec<&String> = keys.iter().collect();
    sorted.sort_by(|a, b| {
        // Byte by byte, without memcmp.
        for (x, y) in a.bytes().zip(b.bytes()) {
            if x != y {
                return x.cmp(&y);
            }
        }
        a.len().cmp(&b.len())
    });
    let in_map: Vec<&str> = map.keys().copied().collect();
    let by_hand: Vec<&str> = sorted.iter().map(|s| s.as_str()).collect();
    assert_eq!(in_map, by_hand);
    assert_eq!(
        "/registry/pods/a".cmp("/registry/pods/\u{e9}"),
        Ordering::Less
    );
    assert!(keys[1] != keys[2] && keys[3] == keys[3].clone());
}
