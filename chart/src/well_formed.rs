//! A well-formedness check of the SVG this crate writes: one `<svg>` root, every element closed
//! in order, attribute values quoted, no bare `<` or `&` in text. Not a full XML parser (no
//! DTDs, CDATA or processing instructions, which these charts never contain): enough to catch
//! a chart that a browser would refuse or show broken.

/// Why a document is not well formed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WellFormedError {
    /// The document does not start with an `<svg` root element.
    NoSvgRoot,
    /// A tag never ends (`<` without its `>`).
    UnterminatedTag(usize),
    /// `</name>` does not close the innermost open element.
    Mismatched {
        /// Byte offset of the closing tag.
        at: usize,
        /// The element that is open there, if any.
        open: Option<String>,
        /// The element the tag tries to close.
        close: String,
    },
    /// An attribute without a quoted value.
    BadAttribute(usize),
    /// A `&` that does not start an entity.
    BareAmpersand(usize),
    /// Elements still open at the end.
    Unclosed(Vec<String>),
    /// Something after the root element ends.
    TrailingContent(usize),
}

impl std::fmt::Display for WellFormedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SVG not well formed: {self:?}")
    }
}

impl std::error::Error for WellFormedError {}

/// Checks `doc`; see the module documentation for what is checked.
pub fn well_formed(doc: &str) -> Result<(), WellFormedError> {
    let doc = doc.trim();
    if !doc.starts_with("<svg") {
        return Err(WellFormedError::NoSvgRoot);
    }
    let mut open: Vec<String> = Vec::new();
    let mut i = 0;
    let bytes = doc.as_bytes();
    while i < bytes.len() {
        if bytes[i] == b'<' {
            let end = doc[i..]
                .find('>')
                .map(|e| i + e)
                .ok_or(WellFormedError::UnterminatedTag(i))?;
            let tag = &doc[i + 1..end];
            if let Some(name) = tag.strip_prefix('/') {
                let name = name.trim().to_string();
                if open.last() != Some(&name) {
                    return Err(WellFormedError::Mismatched {
                        at: i,
                        open: open.last().cloned(),
                        close: name,
                    });
                }
                open.pop();
            } else {
                let self_closing = tag.ends_with('/');
                let inner = tag.trim_end_matches('/');
                let name_end = inner
                    .find(|c: char| c.is_whitespace())
                    .unwrap_or(inner.len());
                let name = &inner[..name_end];
                if name.is_empty() || tag.contains('<') {
                    return Err(WellFormedError::UnterminatedTag(i));
                }
                check_attributes(&inner[name_end..], i)?;
                if !self_closing {
                    open.push(name.to_string());
                }
            }
            i = end + 1;
            if open.is_empty() && !doc[i..].trim().is_empty() {
                return Err(WellFormedError::TrailingContent(i));
            }
        } else {
            if bytes[i] == b'&' {
                check_entity(&doc[i..], i)?;
            }
            i += 1;
        }
    }
    if open.is_empty() {
        Ok(())
    } else {
        Err(WellFormedError::Unclosed(open))
    }
}

/// `name="value"` pairs separated by whitespace; values may not hold `<` or a bare `&`.
fn check_attributes(mut s: &str, at: usize) -> Result<(), WellFormedError> {
    loop {
        s = s.trim_start();
        if s.is_empty() {
            return Ok(());
        }
        let eq = s.find('=').ok_or(WellFormedError::BadAttribute(at))?;
        let name = &s[..eq];
        if name.is_empty() || name.contains(|c: char| c.is_whitespace() || c == '"') {
            return Err(WellFormedError::BadAttribute(at));
        }
        let rest = &s[eq + 1..];
        let quote = rest
            .chars()
            .next()
            .ok_or(WellFormedError::BadAttribute(at))?;
        if quote != '"' && quote != '\'' {
            return Err(WellFormedError::BadAttribute(at));
        }
        let close = rest[1..]
            .find(quote)
            .ok_or(WellFormedError::BadAttribute(at))?;
        let value = &rest[1..1 + close];
        if value.contains('<') {
            return Err(WellFormedError::BadAttribute(at));
        }
        for (j, _) in value.match_indices('&') {
            check_entity(&value[j..], at)?;
        }
        s = &rest[close + 2..];
    }
}

fn check_entity(s: &str, at: usize) -> Result<(), WellFormedError> {
    let ok = ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;", "&#"]
        .iter()
        .any(|e| s.starts_with(e));
    if ok {
        Ok(())
    } else {
        Err(WellFormedError::BareAmpersand(at))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_nested_and_self_closing_elements() {
        well_formed(r#"<svg a="1"><g><rect x="0"/><text y='2'>a &amp; b</text></g></svg>"#)
            .unwrap();
    }

    #[test]
    fn refuses_broken_documents() {
        use WellFormedError::*;
        assert_eq!(well_formed("<html></html>"), Err(NoSvgRoot));
        assert!(matches!(
            well_formed("<svg><g></svg>"),
            Err(Mismatched { .. })
        ));
        assert_eq!(
            well_formed("<svg><g>"),
            Err(Unclosed(vec!["svg".into(), "g".into()]))
        );
        assert!(matches!(
            well_formed("<svg><rect x=1/></svg>"),
            Err(BadAttribute(_))
        ));
        assert!(matches!(
            well_formed("<svg>a & b</svg>"),
            Err(BareAmpersand(_))
        ));
        assert!(matches!(
            well_formed(r#"<svg t="a & b"></svg>"#),
            Err(BadAttribute(_) | BareAmpersand(_))
        ));
        assert!(matches!(well_formed("<svg><rect"), Err(UnterminatedTag(_))));
        assert!(matches!(
            well_formed("<svg></svg><svg></svg>"),
            Err(TrailingContent(_))
        ));
    }
}
