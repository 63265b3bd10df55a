//! Translation of a condition to a hawkBit target filter query (RSQL/FIQL).
//!
//! | condition | hawkBit query |
//! | --- | --- |
//! | `*` | `controllerId==*` |
//! | `deviceId = 'x'` | `controllerId==x` |
//! | `tags.a.b = 'x'` | `attribute.tags.a.b==x` (prefix from [`AttributeOptions`]) |
//! | `tags.a = 'x'` (tags as metadata) | `metadata.twin.tags.a==x` ([`to_target_filter_with_tag_metadata`]) |
//! | `properties.reported.a = 2` | `attribute.reported.a==2` |
//! | `p != v`, `p <> v` | `!=` |
//! | `p < 's'` (strings only) | `=lt=`, `=le=`, `=gt=`, `=ge=` |
//! | `p IN [..]` / `NIN` | `=in=(..)` / `=out=(..)` |
//! | `AND` / `OR` | `;` / `,` |
//! | `NOT` | pushed inward (De Morgan, operators negated) |
//!
//! Values are written in the attribute text form of
//! [`crate::mapping::value_text`], so they match what
//! [`crate::mapping::attributes`] stores. Not expressible (a clear error
//! names the part): desired properties and the other twin fields (hawkBit
//! has no such data), `IS_*`/`STARTS_WITH`/`ENDS_WITH` functions, ordering
//! on numbers or booleans (hawkBit compares attribute text), comparisons
//! between two properties, values containing `*` (a hawkBit wildcard),
//! `null`, and results over 1024 characters.
//!
//! Selectors were checked against hawkBit's `TargetFields` (`CONTROLLERID`,
//! `ATTRIBUTE` as a map field): hawkBit splits `attribute.<key>` at the
//! first `.` only, so dotted attribute keys such as `tags.site.building`
//! are addressable.
//!
//! Caveat: IoT Hub's undefined (missing property) is not modelled by
//! hawkBit, so `!=`/`=out=` may also select targets lacking the attribute.

use crate::condition::ast::{CmpOp, Condition, Expr, Literal, Operand, Path, Root};
use crate::hawkbit::target::{TARGET_FILTER_QUERY_MAX, java_len};
use crate::mapping::attributes::AttributeOptions;
use crate::mapping::value_text::to_text;

/// Why a condition has no hawkBit equivalent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{part}` cannot be expressed as a hawkbit target filter: {reason}")]
pub struct RsqlError {
    /// The offending part of the condition text.
    pub part: String,
    /// Why.
    pub reason: &'static str,
}

struct Translator<'a> {
    cond: &'a Condition,
    options: &'a AttributeOptions,
    tag_metadata: Option<&'a str>,
}

fn quote(value: &str) -> String {
    let plain = !value.is_empty()
        && !value.chars().any(|c| {
            c.is_whitespace()
                || matches!(
                    c,
                    '"' | '\'' | '(' | ')' | ';' | ',' | '=' | '!' | '~' | '<' | '>' | '\\'
                )
        });
    if plain {
        value.to_owned()
    } else {
        let escaped = value.replace('\\', "\\\\").replace('"', "\\\"");
        format!("\"{escaped}\"")
    }
}

impl Translator<'_> {
    fn err(&self, span: (usize, usize), reason: &'static str) -> RsqlError {
        RsqlError {
            part: self.cond.snippet(span).to_owned(),
            reason,
        }
    }

    fn selector(&self, path: &Path) -> Result<String, RsqlError> {
        let key = |prefix: &str| {
            let mut k = prefix.to_owned();
            k.push_str(&path.segments.join("."));
            format!("attribute.{k}")
        };
        match path.root {
            Root::DeviceId => Ok("controllerId".to_owned()),
            Root::Tags if self.tag_metadata.is_some() => match (path.segments.as_slice(), self.tag_metadata) {
                ([one], Some(prefix)) => Ok(format!("metadata.{prefix}{one}")),
                _ => Err(self.err(
                    path.span,
                    "only top-level tags have their own metadata entry; nested ones are json text inside it",
                )),
            },
            Root::Tags if !path.segments.is_empty() => Ok(key(&self.options.tags_prefix)),
            Root::Reported if !path.segments.is_empty() => Ok(key(&self.options.reported_prefix)),
            Root::Desired => Err(self.err(path.span, "hawkbit holds no desired properties")),
            Root::Tags | Root::Reported => {
                Err(self.err(path.span, "a whole section is not an attribute"))
            }
            _ => Err(self.err(path.span, "hawkbit has no equivalent of this twin field")),
        }
    }

    fn value(
        &self,
        lit: &Literal,
        span: (usize, usize),
        device_id: bool,
    ) -> Result<String, RsqlError> {
        let text = match lit {
            Literal::String(s) if device_id => s.clone(),
            Literal::String(s) => to_text(&serde_json::Value::String(s.clone())),
            Literal::Number(n) => serde_json::Number::from_f64(*n)
                .map(|num| {
                    // Integral numbers are stored without a fraction.
                    #[allow(clippy::cast_possible_truncation)]
                    let int = *n as i64;
                    #[allow(clippy::cast_precision_loss)]
                    let integral = int as f64 == *n;
                    if integral {
                        int.to_string()
                    } else {
                        num.to_string()
                    }
                })
                .ok_or_else(|| self.err(span, "number is not finite"))?,
            Literal::Bool(b) => b.to_string(),
            Literal::Null => return Err(self.err(span, "null is not an attribute value")),
        };
        if text.contains('*') {
            return Err(self.err(span, "hawkbit reads `*` in values as a wildcard"));
        }
        Ok(quote(&text))
    }

    fn compare(
        &self,
        lhs: &Operand,
        op: CmpOp,
        rhs: &Operand,
        span: (usize, usize),
    ) -> Result<String, RsqlError> {
        let (path, op, lit) = match (lhs, rhs) {
            (Operand::Path(p), Operand::Literal(l)) => (p, op, l),
            (Operand::Literal(l), Operand::Path(p)) => (p, op.swapped(), l),
            _ => {
                return Err(self.err(
                    span,
                    "only comparisons of a property with a constant are expressible",
                ));
            }
        };
        let sel = self.selector(path)?;
        let ordering = !matches!(op, CmpOp::Eq | CmpOp::Ne);
        if ordering && !matches!(lit, Literal::String(_)) {
            return Err(self.err(
                span,
                "hawkbit compares attribute text, so only string ordering is expressible",
            ));
        }
        let value = self.value(lit, span, path.root == Root::DeviceId)?;
        let op = match op {
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "=lt=",
            CmpOp::Le => "=le=",
            CmpOp::Gt => "=gt=",
            CmpOp::Ge => "=ge=",
        };
        Ok(format!("{sel}{op}{value}"))
    }

    fn expr(&self, e: &Expr, negate: bool) -> Result<(String, bool), RsqlError> {
        // Returns the query and whether it is an OR group (needs parentheses
        // inside an AND).
        match e {
            Expr::All if !negate => Ok(("controllerId==*".to_owned(), false)),
            Expr::All => Err(RsqlError {
                part: "NOT *".into(),
                reason: "selects nothing",
            }),
            Expr::Not(inner) => self.expr(inner, !negate),
            Expr::And(items) | Expr::Or(items) => {
                let is_and = matches!(e, Expr::And(_)) != negate;
                let parts = items
                    .iter()
                    .map(|i| self.expr(i, negate))
                    .collect::<Result<Vec<_>, _>>()?;
                let joined = parts
                    .into_iter()
                    .map(|(q, is_or)| if is_and && is_or { format!("({q})") } else { q })
                    .collect::<Vec<_>>()
                    .join(if is_and { ";" } else { "," });
                Ok((joined, !is_and))
            }
            Expr::Compare { lhs, op, rhs, span } => {
                let op = if negate { op.negated() } else { *op };
                Ok((self.compare(lhs, op, rhs, *span)?, false))
            }
            Expr::In {
                path,
                list,
                negated,
                span,
            } => {
                let sel = self.selector(path)?;
                let values = list
                    .iter()
                    .map(|l| self.value(l, *span, path.root == Root::DeviceId))
                    .collect::<Result<Vec<_>, _>>()?;
                if values.is_empty() {
                    return Err(self.err(*span, "an empty list has no hawkbit equivalent"));
                }
                let op = if *negated != negate { "=out=" } else { "=in=" };
                Ok((format!("{sel}{op}({})", values.join(",")), false))
            }
            Expr::Call { span, .. } => {
                Err(self.err(*span, "hawkbit target filters have no functions"))
            }
        }
    }
}

/// Like [`to_target_filter`], but for tags kept as target metadata by
/// [`crate::mapping::tags::tags_to_metadata`] under `metadata_prefix`
/// (metadata is what the Management API can write; attributes only the
/// device). Only top-level tags are addressable that way.
pub fn to_target_filter_with_tag_metadata(
    cond: &Condition,
    options: &AttributeOptions,
    metadata_prefix: &str,
) -> Result<String, RsqlError> {
    let t = Translator {
        cond,
        options,
        tag_metadata: Some(metadata_prefix),
    };
    finish(cond, t.expr(&cond.expr, false)?.0)
}

fn finish(cond: &Condition, q: String) -> Result<String, RsqlError> {
    if java_len(&q) > TARGET_FILTER_QUERY_MAX {
        return Err(RsqlError {
            part: cond.text.clone(),
            reason: "the query is longer than 1024 characters",
        });
    }
    Ok(q)
}

/// Translates `cond` for targets whose attributes were written by
/// [`crate::mapping::attributes::twin_to_attributes`] with `options`.
pub fn to_target_filter(cond: &Condition, options: &AttributeOptions) -> Result<String, RsqlError> {
    let t = Translator {
        cond,
        options,
        tag_metadata: None,
    };
    finish(cond, t.expr(&cond.expr, false)?.0)
}
