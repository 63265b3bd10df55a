//! Every JSON document the simulator emits validates against hawkBit's own
//! OpenAPI description (`shared/vectors/ddi/ddi-openapi-v1.json`): no field
//! hawkBit does not have, every required field present, types and enums
//! right.

mod support;

use serde_json::{Value, json};
use support::*;
use testkit::ddi::{
    ActionType, ArtifactLinks, Assignment, LinkOrigin, MaintenanceWindow, ModuleSpec,
};

struct Spec(Value);

impl Spec {
    fn resolve<'a>(&'a self, schema: &'a Value) -> &'a Value {
        match schema.get("$ref").and_then(Value::as_str) {
            Some(r) => {
                let name = r.trim_start_matches("#/components/schemas/");
                self.resolve(&self.0["components"]["schemas"][name])
            }
            None => schema,
        }
    }

    /// Problems of `doc` against `schema`, with JSON paths.
    fn check(&self, schema: &Value, doc: &Value, at: &str, problems: &mut Vec<String>) {
        let schema = self.resolve(schema);
        match schema.get("type").and_then(Value::as_str) {
            Some("object") => {
                let Some(map) = doc.as_object() else {
                    problems.push(format!("{at}: not an object"));
                    return;
                };
                for req in schema["required"].as_array().into_iter().flatten() {
                    if !map.contains_key(req.as_str().unwrap_or_default()) {
                        problems.push(format!("{at}: missing required {req}"));
                    }
                }
                for (k, v) in map {
                    match (
                        schema["properties"].get(k),
                        schema.get("additionalProperties"),
                    ) {
                        (Some(s), _) | (None, Some(s)) => {
                            self.check(s, v, &format!("{at}.{k}"), problems)
                        }
                        (None, None) => problems.push(format!("{at}: unknown field {k}")),
                    }
                }
            }
            Some("array") => match doc.as_array() {
                Some(items) => {
                    for (i, item) in items.iter().enumerate() {
                        self.check(&schema["items"], item, &format!("{at}[{i}]"), problems);
                    }
                }
                None => problems.push(format!("{at}: not an array")),
            },
            Some("string") => match doc.as_str() {
                Some(s) => {
                    if let Some(allowed) = schema["enum"].as_array()
                        && !allowed.iter().any(|a| a == s)
                    {
                        problems.push(format!("{at}: {s} not in {allowed:?}"));
                    }
                }
                None => problems.push(format!("{at}: not a string")),
            },
            Some("integer") if !doc.is_i64() && !doc.is_u64() => {
                problems.push(format!("{at}: not an integer"))
            }
            Some("boolean") if !doc.is_boolean() => problems.push(format!("{at}: not a boolean")),
            _ => {}
        }
    }

    /// The 200 (or given status) schema of the operation serving `path`.
    fn response_schema(&self, method: &str, path: &str, status: &str) -> Option<&Value> {
        let segments: Vec<&str> = path.split('?').next()?.split('/').collect();
        for (template, ops) in self.0["paths"].as_object()? {
            let t: Vec<&str> = template.split('/').collect();
            let fits = t.len() == segments.len()
                && t.iter().zip(&segments).all(|(t, s)| {
                    if let Some(var) = t.strip_prefix('{') {
                        // `{fileName}.MD5SUM` is the only template mixing text and a variable
                        var.ends_with('}') || s.ends_with(".MD5SUM")
                    } else {
                        t == s
                    }
                });
            if fits {
                let content = &ops[method]["responses"][status]["content"];
                return ["application/hal+json", "application/json"]
                    .iter()
                    .map(|media| &content[*media]["schema"])
                    .find(|schema| schema.is_object());
            }
        }
        None
    }
}

fn spec() -> Option<Spec> {
    let dir = testkit::vectors::dir("ddi")?;
    Some(Spec(
        serde_json::from_slice(&dir.file("ddi-openapi-v1.json").bytes())
            .expect("valid OpenAPI JSON"),
    ))
}

fn validate(spec: &Spec, schema_name: &str, doc: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    spec.check(
        &json!({"$ref": format!("#/components/schemas/{schema_name}")}),
        doc,
        "$",
        &mut problems,
    );
    problems
}

#[test]
fn the_validator_accepts_hawkbits_examples_and_rejects_strangers() {
    let Some(spec) = spec() else {
        return;
    };
    let dir = testkit::vectors::dir("ddi").expect("checked above");
    for (prefix, schema) in [
        ("controller-base_deployment", "DdiControllerBase"),
        ("deployment-base_three-chunks", "DdiDeploymentBase"),
        ("confirmation-base_", "DdiConfirmationBase"),
        ("confirmation-base-action_", "DdiConfirmationBaseAction"),
        ("artifact_all-four-links", "DdiArtifact"),
    ] {
        for v in dir.with_prefix(prefix) {
            let doc: Value = serde_json::from_slice(&v.bytes()).unwrap();
            assert_eq!(
                validate(&spec, schema, &doc),
                Vec::<String>::new(),
                "{}",
                v.name()
            );
        }
    }
    let odd = json!({"config": {"polling": {"sleep": "00:01:00"}}, "links": []});
    assert_eq!(
        validate(&spec, "DdiControllerBase", &odd),
        vec!["$: unknown field links"]
    );
    let bad_enum = json!({"chunks": [], "download": "maybe"});
    assert_eq!(validate(&spec, "DdiDeployment", &bad_enum).len(), 1);
}

#[test]
fn every_document_the_simulator_emits_matches_the_openapi() {
    let Some(spec) = spec() else {
        return;
    };
    let server = token_server();
    server.set_artifact_links(ArtifactLinks::all_four(LinkOrigin::Server));
    let url = server.controller_url("dev-1");
    let module = server.create_module(
        ModuleSpec::new("fw", "1")
            .part("runtime")
            .metadata("k", "v")
            .encrypted()
            .artifact(testkit::ddi::ArtifactSpec::new("a.bin", &b"abc"[..]).without_sha256()),
    );
    let dist = server.create_distribution("d", "1", &[module]);
    let installed = server.assign("dev-1", dist, &Assignment::new(ActionType::Soft));
    let fb = format!("{url}/deploymentBase/{installed}/feedback");
    post_json(
        &fb,
        &json!({"status": {"execution": "proceeding", "result": {"finished": "none"}, "details": ["x"]}}),
    );
    let mut urls = vec![
        url.clone(),
        format!("{url}/deploymentBase/{installed}?actionHistory=-1"),
        format!("{url}/softwaremodules/{module}/artifacts"),
    ];
    post_json(&fb, &feedback("closed", "success"));
    urls.push(format!("{url}/installedBase/{installed}?actionHistory=5"));
    let waiting = server.assign(
        "dev-1",
        dist,
        &Assignment::new(ActionType::DownloadOnly)
            .confirmation_required()
            .maintenance(MaintenanceWindow::Manual { open: false }),
    );
    urls.push(url.clone());
    urls.push(format!("{url}/confirmationBase"));
    urls.push(format!("{url}/confirmationBase/{waiting}?actionHistory=1"));
    let mut documents = Vec::new();
    for u in &urls {
        documents.push((u.clone(), get_json(u)));
    }
    post_json(
        &format!("{url}/confirmationBase/activateAutoConfirm"),
        &json!({"initiator": "i", "remark": "r"}),
    );
    documents.push((
        format!("{url}/confirmationBase"),
        get_json(&format!("{url}/confirmationBase")),
    ));
    server.cancel(waiting).unwrap();
    documents.push((url.clone(), poll(&server)));
    let cancel = format!("{url}/cancelAction/{waiting}");
    documents.push((cancel.clone(), get_json(&cancel)));

    let prefix = server.url();
    let mut checked = 0;
    for (u, doc) in &documents {
        let path = u.trim_start_matches(&prefix);
        let schema = spec
            .response_schema("get", path, "200")
            .unwrap_or_else(|| panic!("no OpenAPI response schema for {path}"));
        let mut problems = Vec::new();
        spec.check(schema, doc, "$", &mut problems);
        assert!(problems.is_empty(), "{path}: {problems:?}\n{doc:#}");
        checked += 1;
    }
    assert_eq!(checked, 10, "every document kind was checked");

    // error bodies are ExceptionInfo
    let r = post_json(
        &fb,
        &json!({"status": {"execution": "nope", "result": {"finished": "none"}}}),
    );
    assert_eq!(r.status(), 400);
    let body: Value = r.json().unwrap();
    assert_eq!(
        validate(&spec, "ExceptionInfo", &body),
        Vec::<String>::new()
    );
    for field in ["exceptionClass", "errorCode", "message"] {
        assert!(body[field].is_string(), "{field} in {body}");
    }
}
