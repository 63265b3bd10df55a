//! Target conditions: parsing with positions, three-valued evaluation
//! checked against a plain `serde_json::Value` reference walk, priority
//! resolution and RSQL translation.

// Tests are exempt from unwrap_used (clippy.toml); this covers their helper fns.
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use serde_json::{Value, json};
use twin_model::condition::ast::{CmpOp, Expr, Function, Literal, Operand, Path, Root};
use twin_model::condition::resolve::ConfigurationSet;
use twin_model::condition::rsql::{to_target_filter, to_target_filter_with_tag_metadata};
use twin_model::condition::{Condition, ParseErrorKind, Truth};
use twin_model::iothub::configuration::Configuration;
use twin_model::iothub::twin::Twin;
use twin_model::mapping::attributes::AttributeOptions;

fn twin(v: Value) -> Twin {
    serde_json::from_value(v).unwrap()
}

fn sample() -> Twin {
    twin(json!({
        "deviceId": "dev-1", "status": "enabled", "version": 7,
        "capabilities": {"iotEdge": true},
        "tags": {"environment": "test", "location": {"region": "US", "floor": 3}, "a-b": true},
        "properties": {"reported": {"telemetryConfig": {"sendFrequencyInSecs": 60, "status": "Success"}, "lastDesiredStatus": {"code": 200}}}
    }))
}

#[test]
fn documented_conditions_select_as_iot_hub_does() {
    let t = sample();
    let cases = [
        ("*", true),
        ("tags.environment='test'", true),
        ("tags.environment = 'prod'", false),
        (
            "tags.location.region = 'US' AND tags.location.floor >= 3",
            true,
        ),
        (
            "properties.reported.telemetryConfig.sendFrequencyInSecs >= 60",
            true,
        ),
        ("properties.reported.lastDesiredStatus.code = 200", true),
        ("tags.location.region IN ['EU', 'US']", true),
        ("tags.location.region NIN ['EU', 'US']", false),
        ("is_defined(tags.location)", true),
        ("NOT is_defined(tags.nothing)", true),
        ("deviceId = 'dev-1' and capabilities.iotEdge = true", true),
        ("tags['a-b'] = true", true),
        ("status = 'enabled' OR tags.x = 1", true),
        ("version > 6.5", true),
        ("STARTS_WITH(deviceId, 'dev')", true),
        ("FROM devices WHERE tags.environment = 'test'", true),
        (
            "FROM devices.modules WHERE tags.environment = 'test'",
            false,
        ),
        // Undefined never selects, and NOT keeps it undefined.
        ("tags.missing = 'x'", false),
        ("NOT (tags.missing = 'x')", false),
        ("tags.missing != 'x'", false),
        // Type mismatch is undefined too.
        ("tags.location.floor = '3'", false),
        ("NOT (tags.location.floor = '3')", false),
        ("tags.location = 'US'", false),
    ];
    for (text, expected) in cases {
        let c = Condition::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(c.compile().matches(&t), expected, "{text}");
    }
    let c = Condition::parse("tags.missing = 'x' OR tags.environment = 'test'").unwrap();
    assert_eq!(c.compile().evaluate(&t), Truth::True);
    let c = Condition::parse("tags.missing = 'x' AND tags.environment = 'test'").unwrap();
    assert_eq!(c.compile().evaluate(&t), Truth::Undefined);
}

#[test]
fn errors_carry_positions() {
    let cases: [(&str, usize, ParseErrorKind); 6] = [
        (
            "tags.a = ",
            10,
            ParseErrorKind::UnexpectedEnd {
                expected: "a property or a constant",
            },
        ),
        (
            "tags.a == 'x'",
            9,
            ParseErrorKind::Unexpected {
                found: "=".into(),
                expected: "a property or a constant",
            },
        ),
        ("foo.bar = 1", 1, ParseErrorKind::UnknownField("foo".into())),
        ("tags.a = 'x", 10, ParseErrorKind::UnterminatedString),
        (
            "tags.a = 1 AND",
            15,
            ParseErrorKind::UnexpectedEnd {
                expected: "a property or a constant",
            },
        ),
        (
            "properties.wanted.x = 1",
            1,
            ParseErrorKind::UnknownField("properties.wanted".into()),
        ),
    ];
    for (text, column, kind) in cases {
        let e = Condition::parse(text).expect_err(text);
        assert_eq!((e.column, &e.kind), (column, &kind), "{text}: {e}");
    }
    let e = Condition::parse("tags.é = 1 ?").unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::UnexpectedChar('é'));
    assert_eq!(e.column, 6);
    assert_eq!(
        Condition::parse("x(tags.a)").unwrap_err().kind,
        ParseErrorKind::UnknownFunction("x".into())
    );
}

#[test]
fn hostile_conditions_fail_cleanly_or_stay_flat() {
    let deep = "(".repeat(100_000) + "tags.a = 1" + &")".repeat(100_000);
    assert!(Condition::parse(&deep).is_err());
    let nots = "NOT ".repeat(10_000) + "tags.a = 1";
    assert_eq!(
        Condition::parse(&nots).unwrap_err().kind,
        ParseErrorKind::TooDeep
    );
    // A long flat chain parses and evaluates without deep recursion.
    let chain = vec!["tags.environment = 'test'"; 2000].join(" AND ");
    let c = Condition::parse(&chain).unwrap();
    assert!(c.compile().matches(&sample()));
    let huge = "tags.a = 1 OR ".repeat(10_000) + "tags.a = 1";
    assert_eq!(
        Condition::parse(&huge).unwrap_err().kind,
        ParseErrorKind::TooLong
    );
}

#[test]
fn configurations_resolve_by_priority_then_creation_time() {
    let cfg = |id: &str, prio: i64, created: &str, cond: &str, content: Value| -> Configuration {
        serde_json::from_value(json!({"id": id, "priority": prio, "createdTimeUtc": created, "targetCondition": cond, "content": {"deviceContent": content}})).unwrap()
    };
    let set = ConfigurationSet::new(&[
        cfg(
            "low",
            1,
            "2024-01-01T00:00:00Z",
            "*",
            json!({"properties.desired.settings": {"a": 1}, "properties.desired.other": 5}),
        ),
        cfg(
            "high-old",
            10,
            "2023-01-01T00:00:00Z",
            "tags.environment = 'test'",
            json!({"properties.desired.settings.a": 2}),
        ),
        cfg(
            "high-new",
            10,
            "2024-06-01T00:00:00Z",
            "tags.environment = 'test'",
            json!({"properties.desired.settings.b": 3}),
        ),
        cfg(
            "elsewhere",
            99,
            "2024-06-01T00:00:00Z",
            "tags.environment = 'prod'",
            json!({"properties.desired.settings": 0}),
        ),
    ])
    .unwrap();
    let others = [
        sample(),
        twin(json!({"deviceId": "p", "tags": {"environment": "prod"}})),
    ];
    assert_eq!(set.targeted("high-old", &others).len(), 1);
    assert_eq!(set.targeted("low", &others).len(), 2);
    assert_eq!(set.targeted("elsewhere", &others)[0].device_id, "p");
    assert!(set.targeted("nope", &others).is_empty());
    assert_eq!(
        set.ids().collect::<Vec<_>>(),
        ["elsewhere", "high-new", "high-old", "low"]
    );
    let r = set.resolve(&sample());
    assert_eq!(r.targeted, ["high-new", "high-old", "low"]);
    let applied: Vec<(&str, &str)> = r
        .applied
        .iter()
        .map(|a| (a.path.as_str(), a.configuration.as_str()))
        .collect();
    assert_eq!(
        applied,
        [
            ("properties.desired.settings.b", "high-new"),
            ("properties.desired.settings.a", "high-old"),
            ("properties.desired.other", "low")
        ]
    );
    assert_eq!(r.overridden.len(), 1);
    assert_eq!(r.overridden[0].configuration, "low");
    assert_eq!(r.overridden[0].winner, "high-new");
    assert_eq!(
        Value::Object(r.desired_patch()),
        json!({"settings": {"a": 2, "b": 3}, "other": 5})
    );
    let bad = ConfigurationSet::new(&[cfg(
        "broken",
        1,
        "2024-01-01T00:00:00Z",
        "tags.a = ",
        json!({}),
    )])
    .unwrap_err();
    assert_eq!(bad.id, "broken");
}

#[test]
fn translation_to_hawkbit_target_filters() {
    let opts = AttributeOptions::default();
    let ok = [
        ("*", "controllerId==*"),
        ("deviceId = 'dev-1'", "controllerId==dev-1"),
        (
            "tags.environment = 'test' AND properties.reported.fw.version IN ['1.0', '1.1']",
            "attribute.tags.environment==test;attribute.reported.fw.version=in=(1.0,1.1)",
        ),
        (
            "tags.a = 'x' AND (tags.b = 2 OR tags.c = true)",
            "attribute.tags.a==x;(attribute.tags.b==2,attribute.tags.c==true)",
        ),
        (
            "NOT (tags.a = 'x' OR tags.b NIN ['y'])",
            "attribute.tags.a!=x;attribute.tags.b=in=(y)",
        ),
        ("tags.s = '2'", "attribute.tags.s==2"),
        ("tags.s = 'two words'", "attribute.tags.s==\"two words\""),
        ("tags.v >= 'b'", "attribute.tags.v=ge=b"),
    ];
    for (text, expected) in ok {
        let c = Condition::parse(text).unwrap();
        assert_eq!(to_target_filter(&c, &opts).unwrap(), expected, "{text}");
    }
    let bad = [
        ("properties.desired.x = 1", "properties.desired.x"),
        ("capabilities.iotEdge = true", "capabilities.iotEdge"),
        ("tags.a = 1 AND is_defined(tags.b)", "is_defined(tags.b)"),
        ("tags.n > 5", "tags.n > 5"),
        ("tags.a = 'x*'", "tags.a = 'x*'"),
        ("tags.a = tags.b", "tags.a = tags.b"),
    ];
    for (text, part) in bad {
        let c = Condition::parse(text).unwrap();
        let e = to_target_filter(&c, &opts).unwrap_err();
        assert_eq!(e.part, part, "{text}: {e}");
    }
}

#[test]
fn translation_with_tags_as_metadata() {
    let opts = AttributeOptions::default();
    let c = Condition::parse("tags.env = 'prod' AND properties.reported.fw = '2.1'").unwrap();
    assert_eq!(
        to_target_filter_with_tag_metadata(&c, &opts, "twin.tags.").unwrap(),
        "metadata.twin.tags.env==prod;attribute.reported.fw==2.1"
    );
    let nested = Condition::parse("tags.site.building = 4").unwrap();
    let e = to_target_filter_with_tag_metadata(&nested, &opts, "twin.tags.").unwrap_err();
    assert_eq!(e.part, "tags.site.building");
    let long = Condition::parse(&format!(
        "tags.a IN [{}]",
        vec!["'abcdefghij'"; 120].join(",")
    ))
    .unwrap();
    assert!(
        to_target_filter(&long, &opts)
            .unwrap_err()
            .reason
            .contains("1024")
    );
}

// ---- reference evaluator over the twin's plain JSON ----

fn lookup<'a>(doc: &'a Value, p: &Path) -> Option<&'a Value> {
    let mut v = match p.root {
        Root::Tags => doc.get("tags")?,
        Root::Desired => doc.get("properties")?.get("desired")?,
        Root::Reported => doc.get("properties")?.get("reported")?,
        Root::DeviceId => doc.get("deviceId")?,
        other => panic!("reference walk does not cover {other:?}"),
    };
    for s in &p.segments {
        v = v.get(s)?;
    }
    Some(v)
}

fn lit(l: &Literal) -> Value {
    match l {
        Literal::String(s) => json!(s),
        Literal::Number(n) => json!(n),
        Literal::Bool(b) => json!(b),
        Literal::Null => Value::Null,
        _ => unreachable!(),
    }
}

fn cmp(a: Option<Value>, op: CmpOp, b: Option<Value>) -> Option<bool> {
    let (a, b) = (a?, b?);
    let ord = match (&a, &b) {
        (Value::String(x), Value::String(y)) => x.cmp(y),
        (Value::Number(x), Value::Number(y)) => x.as_f64()?.partial_cmp(&y.as_f64()?)?,
        (Value::Bool(x), Value::Bool(y)) if matches!(op, CmpOp::Eq | CmpOp::Ne) => x.cmp(y),
        _ => return None,
    };
    Some(match op {
        CmpOp::Eq => ord.is_eq(),
        CmpOp::Ne => ord.is_ne(),
        CmpOp::Lt => ord.is_lt(),
        CmpOp::Le => ord.is_le(),
        CmpOp::Gt => ord.is_gt(),
        CmpOp::Ge => ord.is_ge(),
        _ => unreachable!(),
    })
}

fn operand(doc: &Value, o: &Operand) -> Option<Value> {
    match o {
        Operand::Path(p) => lookup(doc, p).cloned(),
        Operand::Literal(l) => Some(lit(l)),
        _ => unreachable!(),
    }
}

/// `None` is undefined.
fn reference(doc: &Value, e: &Expr) -> Option<bool> {
    match e {
        Expr::All => Some(true),
        Expr::And(items) => {
            let r: Vec<_> = items.iter().map(|i| reference(doc, i)).collect();
            if r.contains(&Some(false)) {
                Some(false)
            } else if r.contains(&None) {
                None
            } else {
                Some(true)
            }
        }
        Expr::Or(items) => {
            let r: Vec<_> = items.iter().map(|i| reference(doc, i)).collect();
            if r.contains(&Some(true)) {
                Some(true)
            } else if r.contains(&None) {
                None
            } else {
                Some(false)
            }
        }
        Expr::Not(i) => reference(doc, i).map(|b| !b),
        Expr::Compare { lhs, op, rhs, .. } => cmp(operand(doc, lhs), *op, operand(doc, rhs)),
        Expr::In {
            path,
            list,
            negated,
            ..
        } => {
            let v = lookup(doc, path).cloned();
            let r: Vec<_> = list
                .iter()
                .map(|l| cmp(v.clone(), CmpOp::Eq, Some(lit(l))))
                .collect();
            let any = if r.contains(&Some(true)) {
                Some(true)
            } else if r.contains(&None) {
                None
            } else {
                Some(false)
            };
            if *negated { any.map(|b| !b) } else { any }
        }
        Expr::Call {
            function: Function::IsDefined,
            path,
            ..
        } => Some(lookup(doc, path).is_some()),
        _ => unreachable!(),
    }
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!("a")),
        Just(json!("b")),
        Just(json!(1)),
        Just(json!(2.5)),
        Just(json!(true)),
        Just(json!({"x": "a"}))
    ]
}

fn twin_strategy() -> impl Strategy<Value = Twin> {
    (
        prop::collection::btree_map("[xy]", leaf(), 0..3),
        prop::collection::btree_map("[xy]", leaf(), 0..3),
    )
        .prop_map(|(tags, rep)| {
            twin(json!({"deviceId": "d", "tags": {"t": tags}, "properties": {"reported": rep}}))
        })
}

fn path_text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("tags.t.x"),
        Just("tags.t.y"),
        Just("tags.t.x.x"),
        Just("properties.reported.x"),
        Just("properties.reported.y"),
        Just("deviceId")
    ]
    .prop_map(String::from)
}

fn literal_text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("'a'"),
        Just("'b'"),
        Just("'d'"),
        Just("1"),
        Just("2.5"),
        Just("true"),
        Just("false")
    ]
    .prop_map(String::from)
}

fn condition_text() -> impl Strategy<Value = String> {
    let op = prop_oneof![
        Just("="),
        Just("!="),
        Just("<>"),
        Just("<"),
        Just("<="),
        Just(">"),
        Just(">=")
    ];
    let atom = prop_oneof![
        (path_text(), op, literal_text()).prop_map(|(p, o, l)| format!("{p} {o} {l}")),
        (literal_text(), path_text()).prop_map(|(l, p)| format!("{l} = {p}")),
        (
            path_text(),
            any::<bool>(),
            prop::collection::vec(literal_text(), 0..3)
        )
            .prop_map(|(p, n, l)| format!(
                "{p} {} [{}]",
                if n { "NIN" } else { "IN" },
                l.join(", ")
            )),
        path_text().prop_map(|p| format!("is_defined({p})")),
        (path_text(), path_text()).prop_map(|(a, b)| format!("{a} = {b}")),
    ];
    atom.prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a}) AND ({b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} OR {b}")),
            inner.prop_map(|a| format!("NOT ({a})")),
        ]
    })
}

proptest! {
    #[test]
    fn compiled_evaluation_matches_the_reference_walk(text in condition_text(), twins in prop::collection::vec(twin_strategy(), 1..6)) {
        let cond = Condition::parse(&text).unwrap();
        let compiled = cond.compile();
        for t in &twins {
            let doc = serde_json::to_value(t).unwrap();
            let expected = reference(&doc, &cond.expr);
            let got = match compiled.evaluate(t) {
                Truth::True => Some(true),
                Truth::False => Some(false),
                Truth::Undefined => None,
            };
            prop_assert_eq!(got, expected, "{}", text);
        }
        prop_assert_eq!(compiled.count_matches(&twins), twins.iter().filter(|t| compiled.matches(t)).count());
    }

    #[test]
    fn parser_never_panics(text in "\\PC{0,60}") {
        let _ = Condition::parse(&text);
    }

    #[test]
    fn parser_never_panics_on_near_misses(text in "[ ()\\[\\]'\",.=<>!*a-zA-Z0-9_$-]{0,40}") {
        if let Ok(c) = Condition::parse(&text) {
            let _ = c.compile().evaluate(&sample());
            let _ = to_target_filter(&c, &AttributeOptions::default());
        }
    }
}

// ---- a tiny RSQL evaluator over target attributes, to check that the
// translation and the attribute mapping agree ----

struct Rsql<'a> {
    s: &'a [u8],
    i: usize,
}

impl Rsql<'_> {
    fn value(&mut self) -> String {
        let mut out = Vec::new();
        if self.s.get(self.i) == Some(&b'"') {
            self.i += 1;
            while let Some(&c) = self.s.get(self.i) {
                self.i += 1;
                match c {
                    b'\\' => {
                        out.push(self.s[self.i]);
                        self.i += 1;
                    }
                    b'"' => break,
                    c => out.push(c),
                }
            }
        } else {
            while let Some(&c) = self.s.get(self.i) {
                if matches!(c, b';' | b',' | b')') {
                    break;
                }
                out.push(c);
                self.i += 1;
            }
        }
        String::from_utf8(out).unwrap()
    }

    fn term(&mut self, attrs: &std::collections::BTreeMap<String, String>, device: &str) -> bool {
        if self.s[self.i] == b'(' {
            self.i += 1;
            let r = self.or(attrs, device);
            self.i += 1;
            return r;
        }
        let start = self.i;
        while !matches!(self.s[self.i], b'=' | b'!') {
            self.i += 1;
        }
        let selector = std::str::from_utf8(&self.s[start..self.i])
            .unwrap()
            .to_owned();
        let actual = if selector == "controllerId" {
            Some(device.to_owned())
        } else {
            attrs
                .get(selector.strip_prefix("attribute.").unwrap())
                .cloned()
        };
        let rest = &self.s[self.i..];
        let (op, len) = [("==", 2), ("!=", 2), ("=in=", 4), ("=out=", 5)]
            .into_iter()
            .find(|(op, _)| rest.starts_with(op.as_bytes()))
            .unwrap();
        self.i += len;
        if op == "==" || op == "!=" {
            let v = self.value();
            return (actual.as_deref() == Some(v.as_str())) == (op == "==");
        }
        self.i += 1; // (
        let mut list = vec![self.value()];
        while self.s[self.i] == b',' {
            self.i += 1;
            list.push(self.value());
        }
        self.i += 1; // )
        let found = actual.is_some_and(|a| list.contains(&a));
        found == (op == "=in=")
    }

    fn and(&mut self, attrs: &std::collections::BTreeMap<String, String>, device: &str) -> bool {
        let mut r = self.term(attrs, device);
        while self.s.get(self.i) == Some(&b';') {
            self.i += 1;
            r &= self.term(attrs, device);
        }
        r
    }

    fn or(&mut self, attrs: &std::collections::BTreeMap<String, String>, device: &str) -> bool {
        let mut r = self.and(attrs, device);
        while self.s.get(self.i) == Some(&b',') {
            self.i += 1;
            r |= self.and(attrs, device);
        }
        r
    }
}

fn positive_condition() -> impl Strategy<Value = String> {
    let path = prop_oneof![
        Just("tags.t.x"),
        Just("tags.t.y"),
        Just("properties.reported.x"),
        Just("deviceId")
    ];
    let lit = prop_oneof![
        Just("'a'"),
        Just("'b c'"),
        Just("'1'"),
        Just("1"),
        Just("2.5"),
        Just("true"),
        Just("'x\"y'")
    ];
    let atom = prop_oneof![
        (path.clone(), lit.clone()).prop_map(|(p, l)| format!("{p} = {l}")),
        (path, prop::collection::vec(lit, 1..3))
            .prop_map(|(p, l)| format!("{p} IN [{}]", l.join(", "))),
    ];
    atom.prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a}) AND ({b})")),
            (inner.clone(), inner).prop_map(|(a, b)| format!("{a} OR {b}")),
        ]
    })
}

fn attr_twin() -> impl Strategy<Value = Twin> {
    let leaf = prop_oneof![
        Just(json!("a")),
        Just(json!("b c")),
        Just(json!(1)),
        Just(json!(2.5)),
        Just(json!(true)),
        Just(json!("x\"y"))
    ];
    (
        prop::collection::btree_map("[xy]", leaf.clone(), 0..3),
        proptest::option::of(leaf),
    )
        .prop_map(|(tags, rep)| {
            let mut reported = serde_json::Map::new();
            if let Some(r) = rep {
                reported.insert("x".into(), r);
            }
            twin(
                json!({"deviceId": "a", "tags": {"t": tags}, "properties": {"reported": reported}}),
            )
        })
}

proptest! {
    /// Whatever the condition selects in IoT Hub, the translated filter
    /// selects in hawkBit (it may select more: hawkBit compares text).
    #[test]
    fn rsql_filter_selects_every_twin_the_condition_selects(text in positive_condition(), t in attr_twin()) {
        use twin_model::mapping::attributes::twin_to_attributes;
        let cond = Condition::parse(&text).unwrap();
        let opts = AttributeOptions::default();
        let query = to_target_filter(&cond, &opts).unwrap();
        let attrs = twin_to_attributes(t.tags.as_ref(), t.reported(), &opts);
        let selected = Rsql { s: query.as_bytes(), i: 0 }.or(&attrs.attributes, &t.device_id);
        if cond.compile().matches(&t) {
            prop_assert!(selected, "{} -> {} on {:?}", text, query, attrs.attributes);
        }
    }
}

#[test]
fn rsql_evaluator_sanity() {
    use twin_model::mapping::attributes::twin_to_attributes;
    let t = twin(json!({"deviceId": "a", "tags": {"t": {"x": "b c", "y": 2.5}}}));
    let attrs = twin_to_attributes(t.tags.as_ref(), None, &AttributeOptions::default()).attributes;
    for (text, expected) in [
        ("tags.t.x = 'b c' AND tags.t.y = 2.5", true),
        ("tags.t.x = 'a' OR tags.t.y IN [1, 2.5]", true),
        ("tags.t.x = 'a'", false),
    ] {
        let q = to_target_filter(
            &Condition::parse(text).unwrap(),
            &AttributeOptions::default(),
        )
        .unwrap();
        assert_eq!(
            Rsql {
                s: q.as_bytes(),
                i: 0
            }
            .or(&attrs, "a"),
            expected,
            "{q}"
        );
    }
}
