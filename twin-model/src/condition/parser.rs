//! Recursive descent parser (nesting bounded by [`MAX_NESTING`]).

use crate::condition::ast::{CmpOp, Condition, Expr, Function, Literal, Operand, Path, Root};
use crate::condition::error::{ParseError, ParseErrorKind};
use crate::condition::lexer::{Spanned, Tok, lex};

/// Deepest nesting of parentheses and `NOT`.
pub(crate) const MAX_NESTING: usize = 64;

struct Parser<'a> {
    text: &'a str,
    toks: Vec<Spanned>,
    pos: usize,
    depth: usize,
}

fn is_kw(t: Option<&Tok>, kw: &str) -> bool {
    matches!(t, Some(Tok::Ident(s)) if s.eq_ignore_ascii_case(kw))
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|s| &s.tok)
    }

    fn here(&self) -> usize {
        self.toks.get(self.pos).map_or(self.text.len(), |s| s.start)
    }

    fn last_end(&self) -> usize {
        self.pos
            .checked_sub(1)
            .and_then(|p| self.toks.get(p))
            .map_or(0, |s| s.end)
    }

    fn fail(&self, expected: &'static str) -> ParseError {
        let kind = match self.toks.get(self.pos) {
            Some(s) => ParseErrorKind::Unexpected {
                found: s.tok.describe(),
                expected,
            },
            None => ParseErrorKind::UnexpectedEnd { expected },
        };
        ParseError::new(self.text, self.here(), kind)
    }

    fn expect(&mut self, tok: &Tok, expected: &'static str) -> Result<(), ParseError> {
        if self.peek() == Some(tok) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.fail(expected))
        }
    }

    fn eat_kw(&mut self, kw: &str) -> bool {
        if is_kw(self.peek(), kw) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn or(&mut self) -> Result<Expr, ParseError> {
        let mut items = vec![self.and()?];
        while self.eat_kw("or") {
            items.push(self.and()?);
        }
        Ok(if items.len() == 1 {
            items.pop().unwrap_or(Expr::All)
        } else {
            Expr::Or(items)
        })
    }

    fn and(&mut self) -> Result<Expr, ParseError> {
        let mut items = vec![self.unary()?];
        while self.eat_kw("and") {
            items.push(self.unary()?);
        }
        Ok(if items.len() == 1 {
            items.pop().unwrap_or(Expr::All)
        } else {
            Expr::And(items)
        })
    }

    fn nest<T>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T, ParseError>,
    ) -> Result<T, ParseError> {
        if self.depth >= MAX_NESTING {
            return Err(ParseError::new(
                self.text,
                self.here(),
                ParseErrorKind::TooDeep,
            ));
        }
        self.depth += 1;
        let r = f(self);
        self.depth -= 1;
        r
    }

    fn unary(&mut self) -> Result<Expr, ParseError> {
        if self.eat_kw("not") {
            return self.nest(|p| Ok(Expr::Not(Box::new(p.unary()?))));
        }
        if self.peek() == Some(&Tok::LParen) {
            self.pos += 1;
            let e = self.nest(Self::or)?;
            self.expect(&Tok::RParen, "`)`")?;
            return Ok(e);
        }
        if self.peek() == Some(&Tok::Star) {
            self.pos += 1;
            return Ok(Expr::All);
        }
        self.predicate()
    }

    fn function(name: &str) -> Option<Function> {
        let f = match name.to_ascii_lowercase().as_str() {
            "is_defined" => Function::IsDefined,
            "is_bool" => Function::IsBool,
            "is_number" => Function::IsNumber,
            "is_string" => Function::IsString,
            "is_object" => Function::IsObject,
            "starts_with" => Function::StartsWith,
            "ends_with" => Function::EndsWith,
            _ => return None,
        };
        Some(f)
    }

    fn predicate(&mut self) -> Result<Expr, ParseError> {
        let start = self.here();
        if let Some(Tok::Ident(name)) = self.peek().cloned()
            && self.toks.get(self.pos + 1).map(|s| &s.tok) == Some(&Tok::LParen)
        {
            let function = Self::function(&name).ok_or_else(|| {
                ParseError::new(
                    self.text,
                    start,
                    ParseErrorKind::UnknownFunction(name.clone()),
                )
            })?;
            self.pos += 2;
            let path = self.path()?;
            let arg = if matches!(function, Function::StartsWith | Function::EndsWith) {
                self.expect(&Tok::Comma, "`,`")?;
                match self.peek().cloned() {
                    Some(Tok::Str(s)) => {
                        self.pos += 1;
                        Some(s)
                    }
                    _ => return Err(self.fail("a string")),
                }
            } else {
                None
            };
            self.expect(&Tok::RParen, "`)`")?;
            return Ok(Expr::Call {
                function,
                path,
                arg,
                span: (start, self.last_end()),
            });
        }
        let lhs = self.operand()?;
        let negated = if self.eat_kw("in") {
            Some(false)
        } else if self.eat_kw("nin") {
            Some(true)
        } else {
            None
        };
        if let Some(negated) = negated {
            let Operand::Path(path) = lhs else {
                return Err(ParseError::new(
                    self.text,
                    start,
                    ParseErrorKind::Unexpected {
                        found: "a constant".into(),
                        expected: "a property before IN",
                    },
                ));
            };
            self.expect(&Tok::LBracket, "`[`")?;
            let mut list = Vec::new();
            if self.peek() != Some(&Tok::RBracket) {
                loop {
                    list.push(self.literal()?);
                    if self.peek() == Some(&Tok::Comma) {
                        self.pos += 1;
                    } else {
                        break;
                    }
                }
            }
            self.expect(&Tok::RBracket, "`]` or `,`")?;
            return Ok(Expr::In {
                path,
                list,
                negated,
                span: (start, self.last_end()),
            });
        }
        let op = match self.peek() {
            Some(Tok::Eq) => CmpOp::Eq,
            Some(Tok::Ne) => CmpOp::Ne,
            Some(Tok::Lt) => CmpOp::Lt,
            Some(Tok::Le) => CmpOp::Le,
            Some(Tok::Gt) => CmpOp::Gt,
            Some(Tok::Ge) => CmpOp::Ge,
            _ => return Err(self.fail("a comparison operator, IN or NIN")),
        };
        self.pos += 1;
        let rhs = self.operand()?;
        Ok(Expr::Compare {
            lhs,
            op,
            rhs,
            span: (start, self.last_end()),
        })
    }

    fn literal(&mut self) -> Result<Literal, ParseError> {
        let lit = match self.peek() {
            Some(Tok::Str(s)) => Literal::String(s.clone()),
            Some(Tok::Num(n)) => Literal::Number(*n),
            Some(Tok::Ident(s)) if s.eq_ignore_ascii_case("true") => Literal::Bool(true),
            Some(Tok::Ident(s)) if s.eq_ignore_ascii_case("false") => Literal::Bool(false),
            Some(Tok::Ident(s)) if s.eq_ignore_ascii_case("null") => Literal::Null,
            _ => return Err(self.fail("a constant")),
        };
        self.pos += 1;
        Ok(lit)
    }

    fn operand(&mut self) -> Result<Operand, ParseError> {
        match self.peek() {
            Some(Tok::Ident(s))
                if !["true", "false", "null"]
                    .iter()
                    .any(|k| s.eq_ignore_ascii_case(k)) =>
            {
                Ok(Operand::Path(self.path()?))
            }
            Some(Tok::Ident(_) | Tok::Str(_) | Tok::Num(_)) => {
                Ok(Operand::Literal(self.literal()?))
            }
            _ => Err(self.fail("a property or a constant")),
        }
    }

    fn segment(&mut self) -> Result<Option<String>, ParseError> {
        match self.peek() {
            Some(Tok::Dot) => {
                self.pos += 1;
                match self.peek().cloned() {
                    Some(Tok::Ident(s)) => {
                        self.pos += 1;
                        Ok(Some(s))
                    }
                    _ => Err(self.fail("a property name")),
                }
            }
            Some(Tok::LBracket) => {
                self.pos += 1;
                let Some(Tok::Str(s)) = self.peek().cloned() else {
                    return Err(self.fail("a quoted property name"));
                };
                self.pos += 1;
                self.expect(&Tok::RBracket, "`]`")?;
                Ok(Some(s))
            }
            _ => Ok(None),
        }
    }

    fn path(&mut self) -> Result<Path, ParseError> {
        let start = self.here();
        let Some(Tok::Ident(first)) = self.peek().cloned() else {
            return Err(self.fail("a property path"));
        };
        self.pos += 1;
        let mut segments = Vec::new();
        while let Some(s) = self.segment()? {
            segments.push(s);
        }
        let unknown =
            |p: &Self, s: String| ParseError::new(p.text, start, ParseErrorKind::UnknownField(s));
        let (root, rest) = match first.as_str() {
            "tags" => (Root::Tags, segments),
            "properties" => match segments.split_first() {
                Some((s, rest)) if s == "desired" => (Root::Desired, rest.to_vec()),
                Some((s, rest)) if s == "reported" => (Root::Reported, rest.to_vec()),
                _ => {
                    return Err(unknown(
                        self,
                        format!("properties.{}", segments.first().map_or("", String::as_str)),
                    ));
                }
            },
            "capabilities" => match segments.as_slice() {
                [s] if s == "iotEdge" => (Root::IotEdge, Vec::new()),
                _ => {
                    return Err(unknown(
                        self,
                        format!("capabilities.{}", segments.join(".")),
                    ));
                }
            },
            other => {
                let root = match other {
                    "deviceId" => Root::DeviceId,
                    "moduleId" => Root::ModuleId,
                    "status" => Root::Status,
                    "statusReason" => Root::StatusReason,
                    "connectionState" => Root::ConnectionState,
                    "authenticationType" => Root::AuthenticationType,
                    "version" => Root::Version,
                    "cloudToDeviceMessageCount" => Root::CloudToDeviceMessageCount,
                    "modelId" => Root::ModelId,
                    "deviceScope" => Root::DeviceScope,
                    "lastActivityTime" => Root::LastActivityTime,
                    "etag" => Root::Etag,
                    _ => return Err(unknown(self, other.to_owned())),
                };
                if !segments.is_empty() {
                    return Err(unknown(self, format!("{other}.{}", segments.join("."))));
                }
                (root, segments)
            }
        };
        Ok(Path {
            root,
            segments: rest,
            span: (start, self.last_end()),
        })
    }
}

pub(crate) fn parse(text: &str) -> Result<Condition, ParseError> {
    let toks = lex(text)?;
    let mut p = Parser {
        text,
        toks,
        pos: 0,
        depth: 0,
    };
    let mut modules = false;
    if p.eat_kw("from") {
        match p.peek().cloned() {
            Some(Tok::Ident(s)) if s.eq_ignore_ascii_case("devices") => p.pos += 1,
            _ => return Err(p.fail("`devices`")),
        }
        if p.peek() == Some(&Tok::Dot) {
            p.pos += 1;
            if !p.eat_kw("modules") {
                return Err(p.fail("`modules`"));
            }
            modules = true;
        }
        if !p.eat_kw("where") {
            return Err(p.fail("`WHERE`"));
        }
    }
    if p.peek().is_none() {
        return Err(p.fail("a condition"));
    }
    let expr = p.or()?;
    if p.peek().is_some() {
        return Err(p.fail("AND, OR or the end"));
    }
    Ok(Condition {
        text: text.to_owned(),
        modules,
        expr,
    })
}
