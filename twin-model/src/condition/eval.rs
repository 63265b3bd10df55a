//! Compiled conditions and their three-valued evaluation over typed twins.
//!
//! Semantics follow the IoT Hub query language: comparisons hold only
//! between primitives of the same type (strings compare ordinally, numbers
//! numerically, booleans for equality only); a missing property or a type
//! mismatch is *undefined*, which `NOT` keeps undefined and which never
//! selects a device. `IS_DEFINED` is never undefined.

use std::cmp::Ordering;
use std::thread;

use serde_json::{Map, Value};

use crate::condition::ast::{CmpOp, Condition, Expr, Function, Literal, Operand, Path, Root};
use crate::iothub::twin::Twin;

/// Three-valued truth.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Truth {
    /// Holds.
    True,
    /// Does not hold.
    False,
    /// An operand is missing or of the wrong type.
    Undefined,
}

impl Truth {
    fn not(self) -> Self {
        match self {
            Self::True => Self::False,
            Self::False => Self::True,
            Self::Undefined => Self::Undefined,
        }
    }

    fn from_bool(b: bool) -> Self {
        if b { Self::True } else { Self::False }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Lit {
    Str(Box<str>),
    Num(f64),
    Bool(bool),
    Null,
}

impl From<&Literal> for Lit {
    fn from(l: &Literal) -> Self {
        match l {
            Literal::String(s) => Self::Str(s.as_str().into()),
            Literal::Number(n) => Self::Num(*n),
            Literal::Bool(b) => Self::Bool(*b),
            Literal::Null => Self::Null,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
struct Lookup {
    root: Root,
    segments: Box<[Box<str>]>,
}

impl From<&Path> for Lookup {
    fn from(p: &Path) -> Self {
        Self {
            root: p.root,
            segments: p.segments.iter().map(|s| s.as_str().into()).collect(),
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Resolved<'a> {
    Missing,
    Str(&'a str),
    Num(f64),
    Bool(bool),
    Null,
    Composite,
}

fn from_json(v: &Value) -> Resolved<'_> {
    match v {
        Value::String(s) => Resolved::Str(s),
        Value::Number(n) => n.as_f64().map_or(Resolved::Missing, Resolved::Num),
        Value::Bool(b) => Resolved::Bool(*b),
        Value::Null => Resolved::Null,
        _ => Resolved::Composite,
    }
}

fn tree<'a>(map: Option<&'a Map<String, Value>>, segments: &[Box<str>]) -> Resolved<'a> {
    let Some(map) = map else {
        return Resolved::Missing;
    };
    let Some((first, rest)) = segments.split_first() else {
        return Resolved::Composite;
    };
    let Some(mut v) = map.get(&**first) else {
        return Resolved::Missing;
    };
    for s in rest {
        v = match v {
            Value::Object(m) => match m.get(&**s) {
                Some(v) => v,
                None => return Resolved::Missing,
            },
            _ => return Resolved::Missing,
        };
    }
    from_json(v)
}

impl Lookup {
    fn resolve<'a>(&self, twin: &'a Twin) -> Resolved<'a> {
        let opt_str = |s: Option<&'a str>| s.map_or(Resolved::Missing, Resolved::Str);
        match self.root {
            Root::Tags => tree(twin.tags.as_ref(), &self.segments),
            Root::Desired => tree(twin.desired(), &self.segments),
            Root::Reported => tree(twin.reported(), &self.segments),
            Root::DeviceId => Resolved::Str(&twin.device_id),
            Root::ModuleId => opt_str(twin.module_id.as_deref()),
            Root::Status => opt_str(twin.status.as_ref().map(|s| s.as_str())),
            Root::StatusReason => opt_str(twin.status_reason.as_deref()),
            Root::ConnectionState => opt_str(twin.connection_state.as_ref().map(|s| s.as_str())),
            Root::AuthenticationType => {
                opt_str(twin.authentication_type.as_ref().map(|s| s.as_str()))
            }
            Root::IotEdge => Resolved::Bool(twin.is_edge()),
            // Versions and counts fit f64 exactly below 2^53.
            #[allow(clippy::cast_precision_loss)]
            Root::Version => twin
                .version
                .map_or(Resolved::Missing, |v| Resolved::Num(v as f64)),
            #[allow(clippy::cast_precision_loss)]
            Root::CloudToDeviceMessageCount => twin
                .cloud_to_device_message_count
                .map_or(Resolved::Missing, |v| Resolved::Num(v as f64)),
            Root::ModelId => opt_str(twin.model_id.as_deref()),
            Root::DeviceScope => opt_str(twin.device_scope.as_deref()),
            Root::LastActivityTime => opt_str(twin.last_activity_time.as_ref().map(|t| t.as_str())),
            Root::Etag => opt_str(twin.etag.as_ref().map(|e| e.as_str())),
        }
    }
}

fn ordering_holds(ord: Ordering, op: CmpOp) -> bool {
    match op {
        CmpOp::Eq => ord == Ordering::Equal,
        CmpOp::Ne => ord != Ordering::Equal,
        CmpOp::Lt => ord == Ordering::Less,
        CmpOp::Le => ord != Ordering::Greater,
        CmpOp::Gt => ord == Ordering::Greater,
        CmpOp::Ge => ord != Ordering::Less,
    }
}

fn compare(a: Resolved<'_>, op: CmpOp, b: Resolved<'_>) -> Truth {
    use Resolved as R;
    match (a, b) {
        (R::Str(x), R::Str(y)) => Truth::from_bool(ordering_holds(x.cmp(y), op)),
        (R::Num(x), R::Num(y)) => x.partial_cmp(&y).map_or(Truth::Undefined, |o| {
            Truth::from_bool(ordering_holds(o, op))
        }),
        (R::Bool(x), R::Bool(y)) if matches!(op, CmpOp::Eq | CmpOp::Ne) => {
            Truth::from_bool((x == y) == (op == CmpOp::Eq))
        }
        (R::Null, R::Null) if matches!(op, CmpOp::Eq | CmpOp::Ne) => {
            Truth::from_bool(op == CmpOp::Eq)
        }
        _ => Truth::Undefined,
    }
}

fn lit(l: &Lit) -> Resolved<'_> {
    match l {
        Lit::Str(s) => Resolved::Str(s),
        Lit::Num(n) => Resolved::Num(*n),
        Lit::Bool(b) => Resolved::Bool(*b),
        Lit::Null => Resolved::Null,
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Node {
    Const(Truth),
    And(Box<[Self]>),
    Or(Box<[Self]>),
    Not(Box<Self>),
    CmpLit {
        path: Lookup,
        op: CmpOp,
        lit: Lit,
    },
    CmpPaths {
        lhs: Lookup,
        op: CmpOp,
        rhs: Lookup,
    },
    In {
        path: Lookup,
        list: Box<[Lit]>,
        negated: bool,
    },
    Call {
        function: Function,
        path: Lookup,
        arg: Option<Box<str>>,
    },
}

fn compile(e: &Expr) -> Node {
    match e {
        Expr::All => Node::Const(Truth::True),
        Expr::And(items) => Node::And(items.iter().map(compile).collect()),
        Expr::Or(items) => Node::Or(items.iter().map(compile).collect()),
        Expr::Not(inner) => Node::Not(Box::new(compile(inner))),
        Expr::Compare { lhs, op, rhs, .. } => match (lhs, rhs) {
            (Operand::Path(p), Operand::Literal(l)) => Node::CmpLit {
                path: p.into(),
                op: *op,
                lit: l.into(),
            },
            (Operand::Literal(l), Operand::Path(p)) => Node::CmpLit {
                path: p.into(),
                op: op.swapped(),
                lit: l.into(),
            },
            (Operand::Path(a), Operand::Path(b)) => Node::CmpPaths {
                lhs: a.into(),
                op: *op,
                rhs: b.into(),
            },
            (Operand::Literal(a), Operand::Literal(b)) => {
                Node::Const(compare(lit(&a.into()), *op, lit(&b.into())))
            }
        },
        Expr::In {
            path,
            list,
            negated,
            ..
        } => Node::In {
            path: path.into(),
            list: list.iter().map(Lit::from).collect(),
            negated: *negated,
        },
        Expr::Call {
            function,
            path,
            arg,
            ..
        } => Node::Call {
            function: *function,
            path: path.into(),
            arg: arg.as_deref().map(Into::into),
        },
    }
}

impl Node {
    fn eval(&self, twin: &Twin) -> Truth {
        match self {
            Self::Const(t) => *t,
            Self::And(items) => {
                let mut out = Truth::True;
                for i in items.iter() {
                    match i.eval(twin) {
                        Truth::False => return Truth::False,
                        Truth::Undefined => out = Truth::Undefined,
                        Truth::True => {}
                    }
                }
                out
            }
            Self::Or(items) => {
                let mut out = Truth::False;
                for i in items.iter() {
                    match i.eval(twin) {
                        Truth::True => return Truth::True,
                        Truth::Undefined => out = Truth::Undefined,
                        Truth::False => {}
                    }
                }
                out
            }
            Self::Not(inner) => inner.eval(twin).not(),
            Self::CmpLit { path, op, lit: l } => compare(path.resolve(twin), *op, lit(l)),
            Self::CmpPaths { lhs, op, rhs } => compare(lhs.resolve(twin), *op, rhs.resolve(twin)),
            Self::In {
                path,
                list,
                negated,
            } => {
                let v = path.resolve(twin);
                let mut out = Truth::False;
                for l in list.iter() {
                    match compare(v, CmpOp::Eq, lit(l)) {
                        Truth::True => {
                            out = Truth::True;
                            break;
                        }
                        Truth::Undefined => out = Truth::Undefined,
                        Truth::False => {}
                    }
                }
                if *negated { out.not() } else { out }
            }
            Self::Call {
                function,
                path,
                arg,
            } => {
                let v = path.resolve(twin);
                match function {
                    Function::IsDefined => Truth::from_bool(!matches!(v, Resolved::Missing)),
                    Function::IsBool => Truth::from_bool(matches!(v, Resolved::Bool(_))),
                    Function::IsNumber => Truth::from_bool(matches!(v, Resolved::Num(_))),
                    Function::IsString => Truth::from_bool(matches!(v, Resolved::Str(_))),
                    Function::IsObject => Truth::from_bool(matches!(v, Resolved::Composite)),
                    Function::StartsWith | Function::EndsWith => match (v, arg) {
                        (Resolved::Str(s), Some(a)) => {
                            Truth::from_bool(if *function == Function::StartsWith {
                                s.starts_with(&**a)
                            } else {
                                s.ends_with(&**a)
                            })
                        }
                        _ => Truth::Undefined,
                    },
                }
            }
        }
    }
}

/// A condition compiled for repeated evaluation: paths are pre-split and
/// constants pre-typed, so evaluating a twin allocates nothing.
#[derive(Debug, Clone, PartialEq)]
pub struct CompiledCondition {
    root: Node,
    modules: bool,
}

impl Condition {
    /// Compiles the condition.
    pub fn compile(&self) -> CompiledCondition {
        CompiledCondition {
            root: compile(&self.expr),
            modules: self.modules,
        }
    }
}

impl CompiledCondition {
    /// Three-valued result for one twin.
    pub fn evaluate(&self, twin: &Twin) -> Truth {
        self.root.eval(twin)
    }

    /// True when the twin is selected (the condition is true). A condition
    /// written `FROM devices.modules` selects module twins only, others
    /// device twins only.
    pub fn matches(&self, twin: &Twin) -> bool {
        twin.module_id.is_some() == self.modules && self.root.eval(twin) == Truth::True
    }

    /// The selected twins, in input order.
    pub fn select<'a>(&self, twins: &'a [Twin]) -> Vec<&'a Twin> {
        twins.iter().filter(|t| self.matches(t)).collect()
    }

    /// How many twins are selected, using all available cores.
    pub fn count_matches(&self, twins: &[Twin]) -> usize {
        let threads = thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(16);
        if threads <= 1 || twins.len() < 4096 {
            return twins.iter().filter(|t| self.matches(t)).count();
        }
        let chunk = twins.len().div_ceil(threads);
        thread::scope(|s| {
            let handles: Vec<_> = twins
                .chunks(chunk)
                .map(|part| s.spawn(move || part.iter().filter(|t| self.matches(t)).count()))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap_or(0)).sum()
        })
    }
}
