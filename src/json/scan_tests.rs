//! Unit tests of the scanner.

use super::*;

fn one(text: &str) -> Raw<'_> {
    let mut s = Scanner::new(text);
    let v = s.value().unwrap();
    s.finish().unwrap();
    v
}

#[test]
fn values_keep_their_text() {
    assert_eq!(one(" null "), Raw::Null);
    assert_eq!(
        one(r#""abc""#),
        Raw::Str {
            inner: "abc",
            escaped: false
        }
    );
    assert_eq!(
        one(r#""a\"b""#),
        Raw::Str {
            inner: r#"a\"b"#,
            escaped: true
        }
    );
    assert_eq!(
        one("0.499222332425423563466"),
        Raw::Other("0.499222332425423563466")
    );
    assert_eq!(one("-1.5E-05"), Raw::Other("-1.5E-05"));
    assert_eq!(one("true"), Raw::Other("true"));
    assert_eq!(
        one(r#"{"a": [1, {"b": null}]}"#),
        Raw::Other(r#"{"a": [1, {"b": null}]}"#)
    );
}

#[test]
fn objects_and_arrays_are_walked_in_order() {
    let mut s = Scanner::new(r#"{"k": [1, "x"], "e": {}}"#);
    s.begin_object().unwrap();
    let mut first = true;
    assert_eq!(s.next_key(&mut first).unwrap(), Some(("k", false)));
    s.begin_array().unwrap();
    let mut f2 = true;
    assert!(s.next_element(&mut f2).unwrap());
    assert_eq!(s.value().unwrap(), Raw::Other("1"));
    assert!(s.next_element(&mut f2).unwrap());
    assert!(matches!(s.value().unwrap(), Raw::Str { inner: "x", .. }));
    assert!(!s.next_element(&mut f2).unwrap());
    assert_eq!(s.next_key(&mut first).unwrap(), Some(("e", false)));
    assert_eq!(s.value().unwrap(), Raw::Other("{}"));
    assert_eq!(s.next_key(&mut first).unwrap(), None);
    s.finish().unwrap();
}

#[test]
fn a_likely_key_is_taken_whole_or_not_at_all() {
    let mut s = Scanner::new(r#"{"cost": 1, "costs": 2, "cost\u0031": 3, "x": 4}"#);
    s.begin_object().unwrap();
    let mut first = true;
    let mut keys = vec![];
    while let Some(k) = s.next_key_like(&mut first, "cost").unwrap() {
        keys.push((k.text, k.escaped, k.expected));
        s.value().unwrap();
    }
    assert_eq!(
        keys,
        [
            ("cost", false, true),
            ("costs", false, false),
            (r"cost\u0031", true, false),
            ("x", false, false)
        ]
    );
    s.finish().unwrap();
}

#[test]
fn invalid_json_is_refused_with_its_offset() {
    for (text, offset) in [
        ("", 0),
        ("{", 1),
        (r#"{"a":1,}"#, 7),
        ("[1,]", 3),
        ("[1 2]", 3),
        ("01", 1),
        ("1.", 2),
        ("-", 1),
        ("1e+", 3),
        (".5", 0),
        ("nul", 0),
        ("\"a\u{1}\"", 2),
        (r#""\x""#, 1),
        (r#""\u12g4""#, 1),
        ("\"abc", 4),
        ("1 2", 2),
        ("{1:2}", 1),
        (r#"{"a" 1}"#, 5),
    ] {
        let e = validate(text).expect_err(text);
        assert_eq!(e.offset, offset, "{text}: {e}");
    }
    let deep = "[".repeat(200) + &"]".repeat(200);
    assert_eq!(validate(&deep).unwrap_err().what, "JSON nested too deeply");
    let ok = "[".repeat(100) + &"]".repeat(100);
    validate(&ok).unwrap();
}
