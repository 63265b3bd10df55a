//! Deeply nested and huge input is rejected without stack overflow or
//! quadratic time.

// Tests are exempt from unwrap_used (clippy.toml); this covers their helper fns.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use serde_json::{Map, Value};
use twin_model::iothub::twin::Twin;
use twin_model::validate::{self, Rule};

const DEEP: usize = 100_000;

fn nested_text(depth: usize) -> String {
    let mut s = String::with_capacity(depth * 7 + 40);
    s.push_str(r#"{"deviceId":"d","tags":"#);
    for _ in 0..depth {
        s.push_str(r#"{"a":"#);
    }
    s.push('1');
    for _ in 0..depth {
        s.push('}');
    }
    s.push('}');
    s
}

/// Builds a `depth`-deep object without recursion.
fn nested_value(depth: usize) -> Map<String, Value> {
    let mut v = Value::from(1);
    for _ in 0..depth {
        let mut m = Map::new();
        m.insert("a".into(), v);
        v = Value::Object(m);
    }
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// Takes a deep value apart iteratively (serde_json drops recursively).
fn dismantle(map: Map<String, Value>) {
    let mut stack: Vec<Value> = map.into_iter().map(|(_, v)| v).collect();
    while let Some(v) = stack.pop() {
        match v {
            Value::Object(m) => stack.extend(m.into_iter().map(|(_, v)| v)),
            Value::Array(a) => stack.extend(a),
            _ => {}
        }
    }
}

#[test]
fn hundred_thousand_deep_text_is_a_decode_error() {
    let text = nested_text(DEEP);
    let err = Twin::from_json(text.as_bytes()).expect_err("must not decode");
    assert!(err.to_string().contains("twin"), "{err}");
    let arrays = "[".repeat(DEEP) + &"]".repeat(DEEP);
    assert!(Twin::from_json(arrays.as_bytes()).is_err());
}

#[test]
fn hundred_thousand_deep_value_validates_iteratively() {
    let tags = nested_value(DEEP);
    let twin = Twin {
        tags: Some(tags),
        ..Twin::new("d")
    };
    let start = Instant::now();
    let errors = validate::twin::validate_twin(&twin).expect_err("too deep");
    assert!(start.elapsed() < Duration::from_secs(1));
    assert_eq!(errors.0.len(), 1);
    assert_eq!(errors.0[0].rule, Rule::TooDeep { limit: 10 });
    assert_eq!(errors.0[0].path, format!("tags{}", ".a".repeat(11)));
    if let Some(tags) = twin.tags {
        dismantle(tags);
    }
}

#[test]
fn wide_input_is_linear_and_errors_are_capped() {
    // 200k bad keys: the walk is linear, the report capped.
    let mut m = Map::new();
    for i in 0..200_000 {
        m.insert(format!("k.{i}"), Value::from(i));
    }
    let twin = Twin {
        tags: Some(m),
        ..Twin::new("d")
    };
    let start = Instant::now();
    let errors = validate::twin::validate_twin(&twin).expect_err("bad keys");
    assert!(start.elapsed() < Duration::from_secs(5));
    assert_eq!(errors.0.len(), validate::MAX_VIOLATIONS + 1);
    assert_eq!(errors.0.last().unwrap().rule, Rule::TooManyViolations);
}

#[test]
fn limits_are_exact() {
    use serde_json::json;
    // Ten nested objects are allowed, eleven are not.
    let mut ok = json!({"v": 1});
    for i in (1..=10).rev() {
        ok = json!({ format!("l{i}"): ok });
    }
    let twin = Twin {
        tags: ok.as_object().cloned(),
        ..Twin::new("d")
    };
    assert!(validate::twin::validate_twin(&twin).is_ok());
    let too_deep = json!({"l0": ok});
    let twin = Twin {
        tags: too_deep.as_object().cloned(),
        ..Twin::new("d")
    };
    assert!(validate::twin::validate_twin(&twin).is_err());

    // 8 KB of tags: key "k" (1) + value (8191) is exactly the limit.
    let at_limit = json!({"k": "x".repeat(4096), "j": "y".repeat(4094)});
    let twin = Twin {
        tags: at_limit.as_object().cloned(),
        ..Twin::new("d")
    };
    assert!(validate::twin::validate_twin(&twin).is_ok());
    let over = json!({"k": "x".repeat(4096), "j": "y".repeat(4095)});
    let twin = Twin {
        tags: over.as_object().cloned(),
        ..Twin::new("d")
    };
    let e = validate::twin::validate_twin(&twin).unwrap_err();
    assert_eq!(
        e.0[0].rule,
        Rule::SectionTooLarge {
            size: 8193,
            limit: 8192
        }
    );
    assert_eq!(e.0[0].path, "tags");

    let bad = json!({"a b": 1, "c$": 2, "d.e": 3, "ok": 4_503_599_627_370_496_i64, "neg": -4_503_599_627_370_496_i64});
    let twin = Twin {
        tags: bad.as_object().cloned(),
        ..Twin::new("bad id!#")
    };
    let e = validate::twin::validate_twin(&twin).unwrap_err();
    let paths: Vec<String> = e.iter().map(ToString::to_string).collect();
    assert_eq!(
        paths,
        [
            "deviceId: invalid id: id has the forbidden character ' ' at byte 3",
            "tags.a b: key contains forbidden character ' '",
            "tags.c$: key contains forbidden character '$'",
            "tags.d.e: key contains forbidden character '.'",
            "tags.ok: integer outside -2^52..2^52-1",
        ]
    );
}

#[test]
fn every_walker_survives_hundred_thousand_deep_values() {
    use twin_model::condition::Condition;
    use twin_model::iothub::properties::{PropertySection, TwinProperties};
    use twin_model::mapping::attributes::{AttributeOptions, DropReason, twin_to_attributes};
    use twin_model::mapping::tags::{METADATA_PREFIX, tags_to_metadata, tags_to_target_tags};
    use twin_model::patch::{PatchError, apply_merge, diff};

    let deep = nested_value(DEEP);
    let start = Instant::now();
    let twin = Twin {
        tags: Some(deep),
        properties: Some(TwinProperties {
            desired: None,
            reported: Some(PropertySection::from_values(nested_value(DEEP))),
        }),
        ..Twin::new("d")
    };
    let tags = twin.tags.as_ref().unwrap();
    let attrs = twin_to_attributes(
        twin.tags.as_ref(),
        twin.reported(),
        &AttributeOptions::default(),
    );
    assert!(attrs.attributes.is_empty());
    assert!(
        attrs
            .dropped
            .iter()
            .all(|d| d.reason == DropReason::TooDeep)
    );
    assert_eq!(
        tags_to_metadata(tags, METADATA_PREFIX).dropped[0].reason,
        DropReason::TooDeep
    );
    assert_eq!(
        tags_to_target_tags(tags).dropped[0].reason,
        DropReason::TooDeep
    );
    assert!(twin_model::mapping::shadow::twin_to_shadow(&twin).is_err());
    let mut target = Map::new();
    assert!(matches!(
        apply_merge(&mut target, tags),
        Err(PatchError::TooDeep { .. })
    ));
    assert!(matches!(
        diff(&Map::new(), tags),
        Err(PatchError::TooDeep { .. })
    ));
    assert!(twin_model::patch::shadow::compute_delta(tags, &Map::new()).is_empty());
    let cond = Condition::parse("tags.a.a.a = 1 AND is_defined(properties.reported.a)")
        .unwrap()
        .compile();
    assert!(!cond.matches(&twin));
    assert!(start.elapsed() < Duration::from_secs(5));
    let Twin {
        tags, properties, ..
    } = twin;
    dismantle(tags.unwrap());
    dismantle(properties.unwrap().reported.unwrap().values);
}
