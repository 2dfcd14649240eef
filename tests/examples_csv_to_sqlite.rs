//! `examples/csv_to_sqlite.rs` on CSV files the tests write: the database, opened
//! here, must hold exactly the valid rows, in file order, quoted fields and line ends
//! inside quotes as written; the rejects file must list every other row with its line
//! number and the reason; and a load that fails part-way must leave nothing behind.
//! (`.ci/check-examples` compares a load with what the `sqlite3` shell's `.import`
//! makes of the same file.)

mod examples_common;

use examples_common::{example, run, text, TempDir};
use rusqlite::types::Value;
use rusqlite::Connection;
use std::fs;
use std::path::Path;
use std::process::Command;

/// One row as the table holds it: id, name, amount, price.
type Row = (i64, String, Option<i64>, Option<f64>);

/// One line of the rejects file: line number, reason, the row as CSV.
type Reject = (u64, String, String);

/// What `write_input` wrote: the rows the table must hold, in order, and the rejects.
struct Input {
    rows: Vec<Row>,
    rejects: Vec<Reject>,
    short: usize,
}

/// Appends `bytes` to `csv`, and returns the line they start on; `line` is the line
/// the next bytes will start on.
fn add(csv: &mut Vec<u8>, line: &mut u64, bytes: &[u8]) -> u64 {
    let start = *line;
    csv.extend_from_slice(bytes);
    *line += bytes.iter().filter(|&&b| b == b'\n').count() as u64;
    start
}

/// Writes `rows` valid rows, some quoted, some spanning two lines, some short of a
/// field, with a few invalid ones among them.
fn write_input(path: &Path, rows: i64) -> Input {
    let mut csv = b"id:int,name,amount:int,price:real\n".to_vec();
    let mut want = Input {
        rows: Vec::new(),
        rejects: Vec::new(),
        short: 0,
    };
    // The line the next row starts on.
    let mut line = 2;
    for id in 1..=rows {
        let bad: Option<(&[u8], &str, &str)> = match id {
            10 => Some((
                b"10,long,1,1.0,extra\n",
                "expected at most 4 fields, found 5",
                "10,long,1,1.0,extra",
            )),
            20 => Some((
                b"20,twenty,12x,1.0\n",
                "column `amount`: `12x` is not an integer",
                "20,twenty,12x,1.0",
            )),
            30 => Some((
                b"30,\"thirty, quoted\",x1,1.0\r\n",
                "column `amount`: `x1` is not an integer",
                "30,\"thirty, quoted\",x1,1.0",
            )),
            50 => Some((
                b"50,fifty,5,inf\n",
                "column `price`: `inf` is not a finite number",
                "50,fifty,5,inf",
            )),
            60 => Some((
                b"60,caf\xe9,6,1.0\n",
                "column `name`: not valid UTF-8: incomplete utf-8 byte sequence from index 3",
                "60,caf\u{FFFD},6,1.0",
            )),
            70 => Some((
                b"70,\"two\nlines\",7x,1.0\n",
                "column `amount`: `7x` is not an integer",
                "70,\"two\nlines\",7x,1.0",
            )),
            _ => None,
        };
        if let Some((bytes, reason, shown)) = bad {
            let at = add(&mut csv, &mut line, bytes);
            want.rejects.push((at, reason.to_owned(), shown.to_owned()));
        }

        // Names: some with a comma, some with a quote, some with a line end, all
        // quoted; the rest plain. Every 100th row has no amount (NULL); some rows lack
        // their price (NULL); every 7th ends in CR LF.
        let (name, field) = match id % 10 {
            3 => (format!("name, {id}"), format!("\"name, {id}\"")),
            5 => (format!("say \"{id}\""), format!("\"say \"\"{id}\"\"\"")),
            7 => (format!("line\n{id}"), format!("\"line\n{id}\"")),
            _ => (format!("name {id}"), format!("name {id}")),
        };
        let amount = (id % 100 != 0).then_some(id % 97 - 40);
        let amount_field = amount.map_or(String::new(), |a| a.to_string());
        let short = id % 400 == 11;
        let price = (!short).then_some((id % 10) as f64 + 0.25);
        let end = if id % 7 == 0 { "\r\n" } else { "\n" };
        let text = match price {
            Some(price) => format!("{id},{field},{amount_field},{price}{end}"),
            None => format!("{id},{field},{amount_field}{end}"),
        };
        add(&mut csv, &mut line, text.as_bytes());
        want.rows.push((id, name, amount, price));
        want.short += usize::from(short);
    }
    fs::write(path, csv).unwrap();
    want
}

/// Every row of `table`, in the order it was inserted.
fn rows(db: &Path, table: &str) -> Vec<Row> {
    let conn = Connection::open(db).unwrap();
    let mut select = conn
        .prepare(&format!(
            "SELECT id, name, amount, price FROM {table} ORDER BY rowid"
        ))
        .unwrap();
    let rows = select
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap();
    rows.collect::<Result<_, _>>().unwrap()
}

/// The rejects file, read as the tab-separated file with CSV quoting it is.
fn rejects(path: &Path) -> Vec<Reject> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b'\t')
        .has_headers(false)
        .from_path(path)
        .unwrap();
    reader
        .deserialize::<Reject>()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// The names of the tables in `db`.
fn tables(db: &Path) -> Vec<String> {
    let conn = Connection::open(db).unwrap();
    let mut select = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap();
    let names = select.query_map([], |r| r.get(0)).unwrap();
    names.collect::<Result<_, _>>().unwrap()
}

#[test]
fn valid_rows_are_loaded_in_order_and_every_other_row_is_rejected_with_its_reason() {
    let tmp = TempDir::new("csv-load");
    let (input, db, rejected) = (
        tmp.path().join("sales.csv"),
        tmp.path().join("sales.sqlite"),
        tmp.path().join("rejected.tsv"),
    );
    let want = write_input(&input, 2000);

    let output = run(Command::new(example("csv_to_sqlite"))
        .arg(&input)
        .arg(&db)
        .arg("--rejects")
        .arg(&rejected)
        .args(["--workers", "3"]));
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("2000 rows loaded into table `sales` of ")
            && stderr.contains(" (5 short, the missing fields NULL), 6 rejected (see "),
        "{stderr}"
    );
    assert_eq!(want.short, 5);

    assert_eq!(rejects(&rejected), want.rejects);
    let raw = fs::read_to_string(&rejected).unwrap();
    let first = format!(
        "{}\texpected at most 4 fields, found 5\t10,long,1,1.0,extra\n",
        want.rejects[0].0
    );
    assert!(
        raw.starts_with(&first),
        "a row without quotes or tabs is written as it was: {raw}"
    );

    let got = rows(&db, "sales");
    assert_eq!(got.len(), want.rows.len());
    for (got, want) in got.iter().zip(&want.rows) {
        assert_eq!(got, want, "rows out of order, or not as written");
    }
    let conn = Connection::open(&db).unwrap();
    let kinds: (String, String) = conn
        .query_row(
            "SELECT typeof(amount), typeof(price) FROM sales WHERE id = 7",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(kinds, ("integer".to_owned(), "real".to_owned()));
}

#[test]
fn quoted_fields_and_line_ends_inside_quotes_are_loaded_as_written() {
    let tmp = TempDir::new("csv-quoted");
    let (input, db) = (tmp.path().join("notes.csv"), tmp.path().join("db"));
    fs::write(
        &input,
        "id:int,\"title, quoted\",body,score:real\r\n\
         1,alpha,\"hello, world\",1.5\r\n\
         2,\"be\"\"ta\",\"a \"\"quoted\"\" word\",2\r\n\
         3,gamma,\"two\r\nlines\",3.25\n\
         \n\
         4,\"\",\"\",4\n\
         5,ünï,\"tab\there\"\n\
         6,\"  padded  \",\"ends in a quote\"\"\"\n",
    )
    .unwrap();
    let output = run(Command::new(example("csv_to_sqlite"))
        .arg(&input)
        .arg(&db)
        .args(["--workers", "2"]));
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("6 rows loaded into table `notes` of ")
            && stderr.contains(" (2 short, the missing fields NULL), 0 rejected,"),
        "{stderr}"
    );

    let conn = Connection::open(&db).unwrap();
    let mut select = conn
        .prepare("SELECT id, \"title, quoted\", body, score FROM notes ORDER BY rowid")
        .unwrap();
    let got: Vec<Vec<Value>> = select
        .query_map([], |r| (0..4).map(|i| r.get::<_, Value>(i)).collect())
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let t = |s: &str| Value::Text(s.to_owned());
    assert_eq!(
        got,
        vec![
            vec![
                Value::Integer(1),
                t("alpha"),
                t("hello, world"),
                Value::Real(1.5)
            ],
            vec![
                Value::Integer(2),
                t("be\"ta"),
                t("a \"quoted\" word"),
                Value::Real(2.0)
            ],
            vec![
                Value::Integer(3),
                t("gamma"),
                t("two\r\nlines"),
                Value::Real(3.25)
            ],
            vec![Value::Integer(4), t(""), t(""), Value::Real(4.0)],
            vec![Value::Integer(5), t("ünï"), t("tab\there"), Value::Null],
            vec![
                Value::Integer(6),
                t("  padded  "),
                t("ends in a quote\""),
                Value::Null
            ],
        ]
    );
}

#[test]
fn a_failure_in_the_middle_leaves_the_database_without_the_partial_rows() {
    let tmp = TempDir::new("csv-strict");
    let (input, db) = (tmp.path().join("sales.csv"), tmp.path().join("db"));
    // Most rows come before the bad one: the consumer has inserted many of them when
    // the check stage fails on it, and more rows follow it.
    let rows = 20_000;
    let bad = 19_000;
    let mut csv = String::from("id:int,name,amount:int\n");
    for id in 1..=rows {
        if id == bad {
            csv.push_str(&format!("{id},name {id},12x\n"));
        } else {
            csv.push_str(&format!("{id},name {id},{}\n", id % 13));
        }
    }
    fs::write(&input, csv).unwrap();
    let load = |strict: bool| {
        let mut command = Command::new(example("csv_to_sqlite"));
        command.arg(&input).arg(&db).args(["--workers", "3"]);
        if strict {
            command.arg("--strict");
        }
        run(&mut command)
    };

    let output = load(true);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "sales.csv: line {}: column `amount`: `12x` is not an integer\n",
            bad + 1
        )) && stderr.contains("nothing was loaded"),
        "{stderr}"
    );
    assert_eq!(
        tables(&db),
        Vec::<String>::new(),
        "the failed load left its table or some of its rows in the database"
    );

    // The same file without --strict: the table is free, every other row loads.
    let output = load(false);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("{} rows loaded", rows - 1)) && stderr.contains("1 rejected"),
        "{stderr}"
    );
    assert_eq!(tables(&db), vec!["sales".to_owned()]);
}

#[test]
fn a_clean_file_exits_0_and_an_existing_table_is_refused() {
    let tmp = TempDir::new("csv-clean");
    let (input, db) = (tmp.path().join("points.csv"), tmp.path().join("db"));
    fs::write(&input, "x:int,label\n1,a\n2,b\n3,c\n").unwrap();
    let load = || run(Command::new(example("csv_to_sqlite")).arg(&input).arg(&db));

    let output = load();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(
        fs::read_to_string(tmp.path().join("db.rejects")).unwrap(),
        ""
    );

    let again = load();
    assert_eq!(again.status.code(), Some(1));
    assert!(text(&again.stderr).contains("table `points` already exists"));
    let conn = Connection::open(&db).unwrap();
    let n: i64 = conn
        .query_row("SELECT COUNT(*) FROM points", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 3, "the refused run must not load anything");
}

#[test]
fn bad_headers_and_usage_errors_say_what_is_wrong() {
    let tmp = TempDir::new("csv-usage");
    let dir = tmp.path();
    for (header, message) in [
        ("", "the file must start with a header naming the columns"),
        (
            "\n\n",
            "the file must start with a header naming the columns",
        ),
        (
            "a:int,b:date\n1,2\n",
            "header column 2: unknown type `date`",
        ),
        ("a,A\n1,2\n", "header names column `A` twice"),
        ("a,,c\n1,2,3\n", "header column 2 has no name"),
    ] {
        let input = dir.join("bad.csv");
        fs::write(&input, header).unwrap();
        let output = run(Command::new(example("csv_to_sqlite"))
            .arg(&input)
            .arg(dir.join("bad.db")));
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{header:?}: {stderr}");
        assert!(stderr.contains(message), "{header:?}: {stderr}");
    }
    let input = dir.join("ok.csv");
    fs::write(&input, "a\n1\n").unwrap();
    let input = input.to_str().unwrap();
    for (args, message) in [
        (
            &[][..],
            "the following required arguments were not provided:\n  <INPUT.csv>\n  <DB.sqlite>\n",
        ),
        (
            &[input][..],
            "the following required arguments were not provided:\n  <DB.sqlite>\n",
        ),
        (&[input, "x.db", "y"][..], "unexpected argument 'y' found"),
        (
            &["no-such.csv", "x.db"][..],
            "invalid value 'no-such.csv' for '<INPUT.csv>': No such file or directory",
        ),
        (
            &[".", "x.db"][..],
            "invalid value '.' for '<INPUT.csv>': not a file",
        ),
        (
            &[input, "x.db", "--workers", "0"][..],
            "invalid value '0' for '--workers <N>': needs a whole number of at least 1",
        ),
        (
            &[input, "x.db", "--rejects"][..],
            "a value is required for '--rejects <FILE>'",
        ),
        (
            &[input, "x.db", "--table="][..],
            "a value is required for '--table <NAME>'",
        ),
        (
            &[input, "x.db", "--strict=yes"][..],
            "unexpected value 'yes' for '--strict'",
        ),
    ] {
        let output = run(Command::new(example("csv_to_sqlite"))
            .args(args)
            .current_dir(dir));
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(message), "{args:?}: {stderr}");
        assert!(stderr.contains("try '--help'"), "{args:?}: {stderr}");
        assert!(!dir.join("x.db").exists(), "{args:?} made a database");
    }
    let help = run(Command::new(example("csv_to_sqlite")).arg("--help"));
    assert_eq!(help.status.code(), Some(0));
    let help = text(&help.stdout);
    assert!(help.starts_with("Usage: csv_to_sqlite INPUT.csv DB.sqlite"));
    assert!(
        help.contains("--strict") && help.contains("RFC 4180"),
        "{help}"
    );
}
