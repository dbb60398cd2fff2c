//! Canonical JSON: object members sorted by key (byte order), no whitespace,
//! strings and numbers as serde_json writes them (RFC 8785 style for the
//! inputs the sidecar sees: strings, integers, booleans, nested objects).
//!
//! Written out by hand because `serde_json::Map` keeps insertion order once any
//! crate in the build (cedar-policy does) enables `preserve_order`.

use serde_json::Value;

/// Encode `value` canonically.
pub fn to_string(value: &Value) -> String {
    let mut out = String::new();
    write(value, &mut out);
    out
}

fn write(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push('{');
            for (i, (k, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                write(v, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(v, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sorts_keys_at_every_level_and_ignores_input_order() {
        let a = json!({"b": 1, "a": {"z": [3, {"y": true, "x": null}], "c": "é\""}});
        assert_eq!(
            to_string(&a),
            r#"{"a":{"c":"é\"","z":[3,{"x":null,"y":true}]},"b":1}"#
        );
        let b: Value =
            serde_json::from_str(r#"{"a":{"z":[3,{"x":null,"y":true}],"c":"é\""},"b":1}"#).unwrap();
        assert_eq!(to_string(&a), to_string(&b));
    }
}
