//! Secret paths: `/`-separated segments of `[A-Za-z0-9._-]`, neither `.` nor `..`, with
//! bounded length and depth, so a path is safe in URLs, scope patterns and log lines.

use crate::vault::VaultError;

/// Longest accepted path in bytes.
pub const MAX_PATH_LEN: usize = 512;
/// Most segments in a path.
pub const MAX_DEPTH: usize = 32;

fn segment_chars_ok(segment: &str) -> bool {
    segment
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// Checks a full secret path such as `agents/billing/stripe`.
pub fn validate_path(path: &str) -> Result<(), VaultError> {
    let invalid = |why: &str| VaultError::InvalidPath(format!("`{}`: {why}", shorten(path)));
    if path.is_empty() || path.len() > MAX_PATH_LEN {
        return Err(invalid(&format!("must be 1-{MAX_PATH_LEN} bytes")));
    }
    let segments: Vec<&str> = path.split('/').collect();
    if segments.len() > MAX_DEPTH {
        return Err(invalid(&format!("more than {MAX_DEPTH} segments")));
    }
    for segment in segments {
        if segment.is_empty() {
            return Err(invalid("empty segment (leading, trailing or double `/`)"));
        }
        if segment == "." || segment == ".." {
            return Err(invalid("`.` and `..` segments are not allowed"));
        }
        if !segment_chars_ok(segment) {
            return Err(invalid("segments may only use A-Z a-z 0-9 . _ -"));
        }
    }
    Ok(())
}

/// Checks a listing prefix: empty, or a path start that may end in `/` or mid-segment.
pub fn validate_prefix(prefix: &str) -> Result<(), VaultError> {
    if prefix.is_empty() {
        return Ok(());
    }
    let body = prefix.strip_suffix('/').unwrap_or(prefix);
    validate_path(body).map_err(|_| {
        VaultError::InvalidPath(format!(
            "prefix `{}` must be empty or the start of a valid path",
            shorten(prefix)
        ))
    })
}

/// Cuts what the caller sent to a printable length for error messages.
fn shorten(text: &str) -> String {
    text.chars().take(80).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_paths() {
        for ok in [
            "a",
            "agents/billing/stripe",
            "A.b_c-1/x",
            &"s".repeat(MAX_PATH_LEN),
        ] {
            validate_path(ok).unwrap();
        }
    }

    #[test]
    fn rejects_traversal_empty_segments_and_odd_characters() {
        let deep = vec!["a"; MAX_DEPTH + 1].join("/");
        let long = "s".repeat(MAX_PATH_LEN + 1);
        for bad in [
            "", "/a", "a/", "a//b", "..", "a/../b", "./a", "a b", "a%2Fb", "ä", "a\\b", "a:b",
            "a*", &deep, &long,
        ] {
            assert!(
                matches!(validate_path(bad), Err(VaultError::InvalidPath(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn prefixes_may_end_in_a_slash_or_mid_segment() {
        for ok in ["", "agents/", "agents/bil", "a"] {
            validate_prefix(ok).unwrap();
        }
        for bad in ["/", "../", "a//", "a b"] {
            assert!(validate_prefix(bad).is_err(), "{bad:?}");
        }
    }
}
