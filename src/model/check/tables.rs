//! Decision tables: combinations of inputs no row covers (`table-gap`) and rows that cover the
//! same combination with different values (`table-overlap`).
//!
//! Each parameter's values are cut into the cells the rows' patterns tell apart: the variants
//! of an enum, `true` and `false`, and for a number, percentage or quantity the points its
//! patterns compare with and the open stretches between them. A pattern holds on a whole cell
//! or on none of it, so one value of each cell (its representative) stands for the cell. Every
//! combination of cells is then matched against the rows, as evaluation matches them: `>=`
//! holds on its point (以上), `>` does not (超過). A quantity is never negative and a percentage
//! runs from 0% to 100%, as a field's values do unless its range says otherwise. A table whose
//! patterns compare text or dates, or hold anything but constants, or whose inputs have more
//! than `MAX_COMBINATIONS` combinations of cells, is not analysed; one of more than
//! `MAX_OVERLAP_ROWS` rows is not searched for overlaps.

use super::*;
use rust_decimal::Decimal;

/// More combinations than this are not enumerated.
const MAX_COMBINATIONS: usize = 4096;
/// Tables with more rows than this are not searched for overlaps (every pair of rows is compared).
const MAX_OVERLAP_ROWS: usize = 1024;
/// Uncovered combinations named in one message.
const MAX_NAMED: usize = 4;

/// One cell of a parameter's values.
struct Cell {
    /// A value inside the cell, which every pattern treats as the whole cell.
    rep: Value,
    /// The cell as a condition on the parameter: `= 限制類`, `< 10 km`, `10 km < _ < 20 km`.
    label: String,
    /// The cell as a pattern of a row that covers it: `限制類`, `<= 10 km`…
    pattern: String,
}

impl Checker {
    /// Reports the gaps and overlaps of the table last checked, written as `ast`.
    pub(super) fn table_coverage(&mut self, ast: &ast::Table) {
        let Some(t) = self.model.tables.last() else { return };
        // The rows the table holds are the written ones of the right length.
        let written: Vec<usize> =
            (ast.rows.iter().enumerate()).filter(|(_, r)| r.patterns.len() == t.params.len()).map(|(i, _)| i).collect();
        if t.rows.is_empty() {
            return;
        }
        let Some(columns) = self.cells(ast, t) else { return };
        let t = self.model.tables.last().expect("the table just checked");
        let total = columns.iter().try_fold(1usize, |n, c| n.checked_mul(c.len()).filter(|&n| n <= MAX_COMBINATIONS));
        let Some(total) = total else { return };
        // Which rows match each combination, in row order.
        let mut matches: Vec<Vec<usize>> = Vec::with_capacity(total);
        for combo in 0..total {
            let cells = split(combo, &columns);
            let rows = (t.rows.iter().enumerate())
                .filter(|(_, (pats, _))| {
                    pats.iter().zip(&cells).zip(&columns).all(|((p, &c), col)| match p {
                        TPattern::Any => true,
                        TPattern::Cmp(op, e) => match &e.kind {
                            TKind::Const(v) => holds(*op, &col[c].rep, v),
                            _ => false,
                        },
                    })
                })
                .map(|(i, _)| i)
                .collect();
            matches.push(rows);
        }
        let names: Vec<String> = t.params.iter().map(|(n, _)| n.clone()).collect();
        let name = t.name.clone();
        let rows = t.rows.clone();

        // Gaps: combinations no row matches, merged where a whole parameter is uncovered.
        let uncovered: Vec<Vec<Option<usize>>> = (0..total)
            .filter(|&c| matches[c].is_empty())
            .map(|c| split(c, &columns).into_iter().map(Some).collect())
            .collect();
        if !uncovered.is_empty() {
            let merged = merge(uncovered, &columns);
            let label = |combo: &[Option<usize>]| {
                combo
                    .iter()
                    .zip(&names)
                    .zip(&columns)
                    .map(|((c, n), col)| match c {
                        Some(c) => format!("{n} {}", col[*c].label),
                        None => format!("{n} = _"),
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let pattern = |combo: &[Option<usize>]| {
                let ps: Vec<&str> =
                    combo.iter().zip(&columns).map(|(c, col)| c.map_or("_", |c| col[c].pattern.as_str())).collect();
                if ps.len() == 1 { ps[0].to_string() } else { format!("({})", ps.join(", ")) }
            };
            let named: Vec<String> = merged.iter().take(MAX_NAMED).map(|c| format!("`{}`", label(c))).collect();
            let more = merged.len().saturating_sub(MAX_NAMED);
            let msg = match (merged.len(), more) {
                (1, _) => format!("table `{name}` has no row for {}", named[0]),
                (n, 0) => format!("table `{name}` has no row for {n} combinations: {}", named.join("; ")),
                (n, more) => {
                    format!("table `{name}` has no row for {n} combinations: {}; and {more} more", named.join("; "))
                }
            };
            let help = format!(
                "a call with these inputs is `unknown`; add a row, or say the plan leaves them out: `{} because \"why\"`",
                pattern(&merged[0])
            );
            self.diags.push(Diagnostic::warning("table-gap", &self.file, ast.name.span, msg).with_help(help));
        }

        // Overlaps: two rows that match a combination and give different values, unless the
        // earlier is an exception carved out of the later (it matches only what the later does).
        // Each row's combinations as a bit set, so comparing two rows is a pass over words.
        let words = total.div_ceil(64);
        let mut sets: Vec<Vec<u64>> = vec![vec![0; words]; rows.len()];
        for (c, rs) in matches.iter().enumerate() {
            for &r in rs {
                sets[r][c / 64] |= 1 << (c % 64);
            }
        }
        let count = |s: &[u64]| s.iter().map(|w| w.count_ones() as usize).sum::<usize>();
        let sizes: Vec<usize> = sets.iter().map(|s| count(s)).collect();
        let mut reported = vec![false; rows.len()];
        let pairs = if rows.len() <= MAX_OVERLAP_ROWS { rows.len() } else { 0 };
        for j in 0..pairs {
            for i in 0..j {
                if reported[j] || same_value(&rows[i].1, &rows[j].1) {
                    continue;
                }
                let both: Vec<u64> = sets[i].iter().zip(&sets[j]).map(|(a, b)| a & b).collect();
                let shared = count(&both);
                if shared == 0 || shared == sizes[i] {
                    continue;
                }
                let first = (both.iter().enumerate())
                    .find(|(_, w)| **w != 0)
                    .map(|(k, w)| k * 64 + w.trailing_zeros() as usize)
                    .expect("a shared combination");
                reported[j] = true;
                let (ri, rj) = (written[i] + 1, written[j] + 1);
                let combo: Vec<Option<usize>> = split(first, &columns).into_iter().map(Some).collect();
                let at = combo
                    .iter()
                    .zip(&names)
                    .zip(&columns)
                    .map(|((c, n), col)| format!("{n} {}", col[c.expect("a whole combination")].label))
                    .collect::<Vec<_>>()
                    .join(", ");
                let (msg, help) = if shared == sizes[j] {
                    (
                        format!(
                            "row {rj} of table `{name}` never applies: row {ri} matches every combination it does, first"
                        ),
                        "the first row that matches gives the value: remove the row, or narrow the earlier one"
                            .to_string(),
                    )
                } else {
                    (
                        format!("rows {ri} and {rj} of table `{name}` both match `{at}` and give different values"),
                        format!(
                            "the first row that matches gives the value (row {ri}); make the rows exclusive so the table says which applies"
                        ),
                    )
                };
                let d = Diagnostic::warning("table-overlap", &self.file, ast.rows[written[j]].span, msg)
                    .with_secondary(ast.rows[written[i]].span, format!("row {ri} matches it too"))
                    .with_help(help);
                self.diags.push(d);
            }
        }
    }

    /// The cells of each parameter of table `t`, or `None` when it cannot be analysed.
    fn cells(&self, ast: &ast::Table, t: &TableDef) -> Option<Vec<Vec<Cell>>> {
        let mut columns = Vec::new();
        for (k, (_, ty)) in t.params.iter().enumerate() {
            let constants: Vec<(BinOp, &Value, String)> = t
                .rows
                .iter()
                .zip(written_rows(ast, t))
                .filter_map(|((pats, _), row)| match &pats[k] {
                    TPattern::Any => None,
                    TPattern::Cmp(op, e) => Some((*op, e, &row.patterns[k])),
                })
                .map(|(op, e, p)| match (&e.kind, p) {
                    (TKind::Const(v), ast::Pattern::Cmp(_, x) | ast::Pattern::Eq(x)) => Some((op, v, literal(x))),
                    _ => None,
                })
                .collect::<Option<_>>()?;
            let column = match ty {
                Ty::Enum(e) => (self.model.enums[e.index()].variants.iter().enumerate())
                    .map(|(i, v)| Cell { rep: Value::Enum(i as u32), label: format!("= {v}"), pattern: v.clone() })
                    .collect(),
                Ty::Bool => [true, false]
                    .into_iter()
                    .map(|b| Cell { rep: Value::Bool(b), label: format!("= {b}"), pattern: b.to_string() })
                    .collect(),
                Ty::Number | Ty::Percent | Ty::Quantity(_) => {
                    let (low, high) = match ty {
                        Ty::Percent => (Some(Decimal::ZERO), Some(Decimal::ONE)),
                        Ty::Quantity(_) => (Some(Decimal::ZERO), None),
                        _ => (None, None),
                    };
                    let mut points: Vec<(Decimal, String)> = Vec::new();
                    for (_, v, text) in &constants {
                        let Value::Num(n) = v else { return None };
                        if !points.iter().any(|(p, _)| p == n) {
                            points.push((*n, text.clone()));
                        }
                    }
                    points.sort_by_key(|a| a.0);
                    number_cells(&points, low, high)
                }
                _ if constants.is_empty() => {
                    vec![Cell { rep: Value::Bool(false), label: "= _".into(), pattern: "_".into() }]
                }
                _ => return None,
            };
            columns.push(column);
        }
        Some(columns)
    }
}

/// The rows of `ast` that `t` holds, in order (a row of the wrong length is left out of both).
fn written_rows<'a>(ast: &'a ast::Table, t: &TableDef) -> impl Iterator<Item = &'a ast::TableRow> {
    let n = t.params.len();
    ast.rows.iter().filter(move |r| r.patterns.len() == n)
}

/// The cells of a number's values cut at `points` (sorted, distinct), within `low ..= high`.
fn number_cells(points: &[(Decimal, String)], low: Option<Decimal>, high: Option<Decimal>) -> Vec<Cell> {
    let inside = |x: Decimal| low.is_none_or(|l| x >= l) && high.is_none_or(|h| x <= h);
    let mut cells = Vec::new();
    if points.is_empty() {
        let rep = low.unwrap_or(Decimal::ZERO);
        return vec![Cell { rep: Value::Num(rep), label: "= _".into(), pattern: "_".into() }];
    }
    let (first, first_text) = &points[0];
    // Below the first point, if the domain reaches there.
    if low.is_none_or(|l| l < *first) {
        let rep = match low {
            Some(l) => (l + first) / Decimal::TWO,
            None => first - Decimal::ONE,
        };
        cells.push(Cell { rep: Value::Num(rep), label: format!("< {first_text}"), pattern: format!("< {first_text}") });
    }
    for (k, (p, text)) in points.iter().enumerate() {
        if inside(*p) {
            cells.push(Cell { rep: Value::Num(*p), label: format!("= {text}"), pattern: format!("== {text}") });
        }
        match points.get(k + 1) {
            Some((q, next)) => {
                let rep = (p + q) / Decimal::TWO;
                if inside(rep) {
                    cells.push(Cell {
                        rep: Value::Num(rep),
                        label: format!("> {text} and < {next}"),
                        pattern: format!("> {text}"),
                    });
                }
            }
            None => {
                if high.is_none_or(|h| *p < h) {
                    let rep = match high {
                        Some(h) => (p + h) / Decimal::TWO,
                        None => p + Decimal::ONE,
                    };
                    cells.push(Cell { rep: Value::Num(rep), label: format!("> {text}"), pattern: format!("> {text}") });
                }
            }
        }
    }
    cells
}

/// Combination number `n` as one cell index per column.
fn split(mut n: usize, columns: &[Vec<Cell>]) -> Vec<usize> {
    let mut out = vec![0; columns.len()];
    for (k, col) in columns.iter().enumerate().rev() {
        out[k] = n % col.len();
        n /= col.len();
    }
    out
}

/// Uncovered combinations with a parameter every cell of which is uncovered (the others
/// equal) written once, with `_` for that parameter.
fn merge(mut combos: Vec<Vec<Option<usize>>>, columns: &[Vec<Cell>]) -> Vec<Vec<Option<usize>>> {
    for k in (0..columns.len()).rev() {
        let mut out: Vec<Vec<Option<usize>>> = Vec::new();
        let mut done = vec![false; combos.len()];
        for a in 0..combos.len() {
            if done[a] {
                continue;
            }
            let same: Vec<usize> = (a..combos.len())
                .filter(|&b| {
                    !done[b]
                        && combos[b].iter().zip(&combos[a]).enumerate().all(|(i, (x, y))| i == k || x == y)
                        && combos[b][k].is_some()
                })
                .collect();
            if combos[a][k].is_some() && same.len() == columns[k].len() && columns[k].len() > 1 {
                let mut c = combos[a].clone();
                c[k] = None;
                out.push(c);
                same.iter().for_each(|&b| done[b] = true);
            } else {
                out.push(combos[a].clone());
                done[a] = true;
            }
        }
        combos = out;
    }
    combos
}

/// Whether `v op constant` holds, for the values a table's cells hold.
fn holds(op: BinOp, v: &Value, constant: &Value) -> bool {
    match (v, constant) {
        (Value::Num(a), Value::Num(b)) => match op {
            BinOp::Eq => a == b,
            BinOp::Ne => a != b,
            BinOp::Lt => a < b,
            BinOp::Le => a <= b,
            BinOp::Gt => a > b,
            BinOp::Ge => a >= b,
            _ => false,
        },
        (a, b) => match op {
            BinOp::Eq => a == b,
            BinOp::Ne => a != b,
            _ => false,
        },
    }
}

/// Whether two rows give the same value: equal constants, or two gaps.
fn same_value(a: &TRowValue, b: &TRowValue) -> bool {
    match (a, b) {
        (TRowValue::Value(x), TRowValue::Value(y)) => match (&x.kind, &y.kind) {
            (TKind::Const(p), TKind::Const(q)) => p == q,
            _ => false,
        },
        (TRowValue::Gap(_), TRowValue::Gap(_)) => true,
        _ => false,
    }
}

/// A pattern's constant as written: `10 km`, `40%`, `限制類`.
fn literal(e: &ast::Expr) -> String {
    match &e.kind {
        ExprKind::Number(n) => n.clone(),
        ExprKind::Percent(p) => format!("{p}%"),
        ExprKind::Quantity { amount, unit } => format!("{amount} {}", unit.text),
        ExprKind::Name(n) => n.clone(),
        ExprKind::Bool(b) => b.to_string(),
        ExprKind::Unary(UnOp::Neg, x) => format!("-{}", literal(x)),
        ExprKind::Date(d) | ExprKind::Text(d) => d.clone(),
        _ => "…".into(),
    }
}
