//! Container image references as kubelet's `parsers.ParseImageName` reads them (docker's
//! `ParseNormalizedNamed`), just far enough to decide the default `imagePullPolicy`.

/// What an image reference names: its tag and digest, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef<'a> {
    /// The repository part, e.g. `nginx` or `localhost:5000/x`.
    pub repository: &'a str,
    /// The tag after the last `:` of the last path component, if any.
    pub tag: Option<&'a str>,
    /// The digest after `@`, if any.
    pub digest: Option<&'a str>,
}

/// Parses an image reference; `None` when docker's grammar refuses it (upstream then treats
/// the tag as unknown, which gives `IfNotPresent`).
pub fn parse_image(image: &str) -> Option<ImageRef<'_>> {
    if image.is_empty() || image.len() > 255 + 72 + 129 {
        return None;
    }
    let (rest, digest) = match image.split_once('@') {
        Some((r, d)) => {
            if !valid_digest(d) {
                return None;
            }
            (r, Some(d))
        }
        None => (image, None),
    };
    let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
    let (repository, tag) = match rest[last_slash..].rfind(':') {
        Some(i) => (&rest[..last_slash + i], Some(&rest[last_slash + i + 1..])),
        None => (rest, None),
    };
    if let Some(t) = tag {
        if !valid_tag(t) {
            return None;
        }
    }
    if !valid_repository(repository) {
        return None;
    }
    Some(ImageRef {
        repository,
        tag,
        digest,
    })
}

/// The `imagePullPolicy` upstream defaults for an image: `Always` for the `latest` tag (which is
/// what a reference with neither tag nor digest means), `IfNotPresent` otherwise.
pub fn image_pull_policy_for(image: &str) -> &'static str {
    let tag = match parse_image(image) {
        Some(ImageRef {
            tag: None,
            digest: None,
            ..
        }) => Some("latest"),
        Some(r) => r.tag,
        None => None,
    };
    if tag == Some("latest") {
        "Always"
    } else {
        "IfNotPresent"
    }
}

fn valid_tag(tag: &str) -> bool {
    let b = tag.as_bytes();
    !b.is_empty()
        && b.len() <= 128
        && (b[0].is_ascii_alphanumeric() || b[0] == b'_')
        && b[1..]
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'))
}

fn valid_digest(d: &str) -> bool {
    let Some((alg, hex)) = d.split_once(':') else {
        return false;
    };
    let alg_ok = !alg.is_empty()
        && alg
            .bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || b"+._-".contains(&c));
    let hex_ok = hex.len() >= 32 && hex.bytes().all(|c| c.is_ascii_hexdigit());
    alg_ok && hex_ok && (alg != "sha256" || hex.len() == 64)
}

fn valid_repository(repo: &str) -> bool {
    if repo.is_empty() || repo.len() > 255 {
        return false;
    }
    // A bare 64-hex-digit name is refused as ambiguous with an image ID.
    if repo.len() == 64 && repo.bytes().all(|c| c.is_ascii_hexdigit()) {
        return false;
    }
    let mut parts: Vec<&str> = repo.split('/').collect();
    if parts.len() > 1 {
        let first = parts[0];
        if first.contains(['.', ':'])
            || first == "localhost"
            || first.bytes().any(|c| c.is_ascii_uppercase())
        {
            if !valid_domain(first) {
                return false;
            }
            parts.remove(0);
        }
    }
    !parts.is_empty() && parts.iter().all(|p| valid_path_component(p))
}

fn valid_domain(domain: &str) -> bool {
    let (host, port) = match domain.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (domain, None),
    };
    if let Some(p) = port {
        if p.is_empty() || !p.bytes().all(|c| c.is_ascii_digit()) {
            return false;
        }
    }
    !host.is_empty()
        && host.split('.').all(|label| {
            let b = label.as_bytes();
            !b.is_empty()
                && b[0].is_ascii_alphanumeric()
                && b[b.len() - 1].is_ascii_alphanumeric()
                && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
        })
}

/// `[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*`
fn valid_path_component(p: &str) -> bool {
    let b = p.as_bytes();
    if b.is_empty() || !is_alnum(b[0]) || !is_alnum(b[b.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        if is_alnum(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && !is_alnum(b[i]) {
            i += 1;
        }
        let sep = &p[start..i];
        let ok = sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|c| c == b'-');
        if !ok {
            return false;
        }
    }
    true
}

fn is_alnum(c: u8) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit()
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn an_untagged_or_latest_image_is_always_pulled() {
        assert_eq!(image_pull_policy_for("nginx"), "Always");
        assert_eq!(image_pull_policy_for("nginx:latest"), "Always");
        assert_eq!(image_pull_policy_for("localhost:5000/x"), "Always");
        assert_eq!(image_pull_policy_for("registry.k8s.io/pause"), "Always");
        assert_eq!(image_pull_policy_for("k8s.gcr.io/busybox"), "Always");
    }

    #[test]
    fn a_pinned_tag_or_digest_is_pulled_if_not_present() {
        assert_eq!(image_pull_policy_for("nginx:1.14.2"), "IfNotPresent");
        assert_eq!(image_pull_policy_for("localhost:5000/x:v1"), "IfNotPresent");
        let digest = format!("nginx@sha256:{}", "a".repeat(64));
        assert_eq!(image_pull_policy_for(&digest), "IfNotPresent");
        let both = format!("nginx:latest@sha256:{}", "a".repeat(64));
        assert_eq!(image_pull_policy_for(&both), "Always");
    }

    #[test]
    fn an_unparsable_image_falls_back_to_if_not_present() {
        assert_eq!(image_pull_policy_for(""), "IfNotPresent");
        assert_eq!(image_pull_policy_for("Nginx"), "IfNotPresent");
        assert_eq!(image_pull_policy_for("nginx:"), "IfNotPresent");
    }

    #[test]
    fn references_split_into_repository_tag_and_digest() {
        let r = parse_image("localhost:5000/team/app:v2").unwrap();
        assert_eq!(r.repository, "localhost:5000/team/app");
        assert_eq!(r.tag, Some("v2"));
        assert_eq!(r.digest, None);
    }
}
