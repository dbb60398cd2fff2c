//! Canonical JSON (RFC 8785, the JSON Canonicalization Scheme): object members
//! sorted by the UTF-16 code units of their keys, no whitespace, strings
//! escaped as ECMAScript's `JSON.stringify` does (serde_json's escaping is the
//! same), and numbers in ECMAScript's shortest form (`1.0` is `1`, `1e21` is
//! `1e+21`, `0.0000001` is `1e-7`).
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
            entries.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
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
        Value::Number(n) => match n.as_f64() {
            Some(f) if !n.is_i64() && !n.is_u64() => out.push_str(&es6_number(f)),
            _ => out.push_str(&n.to_string()),
        },
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// ECMAScript's Number::toString for a finite double (serde_json holds no NaN
/// or infinity): the shortest digits that round-trip, placed by the exponent.
fn es6_number(f: f64) -> String {
    if f == 0.0 {
        return "0".into();
    }
    // Rust's `{:e}` gives the same shortest round-trip digits: "d.ddde-7".
    let sci = format!("{:e}", f.abs());
    let (mantissa, exp) = sci.split_once('e').expect("`{:e}` has an exponent");
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let k = digits.len() as i32;
    let n = exp.parse::<i32>().expect("`{:e}` exponent is an integer") + 1;
    let body = if k <= n && n <= 21 {
        format!("{digits}{}", "0".repeat((n - k) as usize))
    } else if 0 < n && n <= 21 {
        format!("{}.{}", &digits[..n as usize], &digits[n as usize..])
    } else if -6 < n && n <= 0 {
        format!("0.{}{digits}", "0".repeat((-n) as usize))
    } else {
        let sign = if n - 1 < 0 { '-' } else { '+' };
        let (first, rest) = digits.split_at(1);
        let dot = if rest.is_empty() { "" } else { "." };
        format!("{first}{dot}{rest}e{sign}{}", (n - 1).abs())
    };
    if f < 0.0 {
        format!("-{body}")
    } else {
        body
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

    #[test]
    fn numbers_are_written_as_ecmascript_does() {
        // RFC 8785 appendix B and ECMAScript's Number::toString.
        for (value, text) in [
            (json!(1.0), "1"),
            (json!(-0.0), "0"),
            (json!(0.5), "0.5"),
            (json!(-1.25), "-1.25"),
            (json!(1e21), "1e+21"),
            (json!(1e20), "100000000000000000000"),
            (json!(1e-7), "1e-7"),
            (json!(0.000001), "0.000001"),
            (json!(123.456), "123.456"),
            (json!(4.5e-10), "4.5e-10"),
            (json!(9007199254740991_i64), "9007199254740991"),
            (json!(1.7976931348623157e308), "1.7976931348623157e+308"),
            (json!(5e-324), "5e-324"),
        ] {
            assert_eq!(to_string(&value), text, "{value}");
        }
    }

    #[test]
    fn keys_sort_by_utf16_code_units() {
        // U+E000 sorts after U+1F600 in UTF-16 (0xE000 > 0xD83D), before it in UTF-8.
        let v = json!({"\u{e000}": 1, "\u{1f600}": 2});
        assert_eq!(to_string(&v), "{\"\u{1f600}\":2,\"\u{e000}\":1}");
    }
}
