//! `examples/csv_to_sqlite.rs` on CSV files the tests write: the database, opened
//! here, must hold exactly the valid rows, in file order; the rejects file must list
//! every other row with its line number and the reason.

mod examples_common;

use examples_common::{example, run, text, TempDir};
use rusqlite::Connection;
use std::fs;
use std::path::Path;
use std::process::Command;

/// Writes `rows` valid rows with a few invalid ones among them, and returns the
/// expected rejects file.
fn write_input(path: &Path, rows: u64) -> String {
    let mut csv = b"id:int,name,amount:int,price:real\n".to_vec();
    let mut rejects = String::new();
    let mut line = 1;
    let mut reject = |csv: &mut Vec<u8>, line: &mut u64, bytes: &[u8], reason: &str| {
        *line += 1;
        csv.extend_from_slice(bytes);
        csv.push(b'\n');
        let shown = String::from_utf8_lossy(bytes);
        rejects.push_str(&format!("{line}\t{reason}\t{shown}\n"));
    };
    for id in 1..=rows {
        match id {
            10 => reject(
                &mut csv,
                &mut line,
                b"10,short,1",
                "expected 4 fields, found 3",
            ),
            20 => reject(
                &mut csv,
                &mut line,
                b"20,twenty,12x,1.0",
                "column `amount`: `12x` is not an integer",
            ),
            30 => reject(
                &mut csv,
                &mut line,
                b"30,\"quoted\",1,1.0",
                "column `name`: quoted fields are not supported",
            ),
            40 => reject(&mut csv, &mut line, b"", "empty line"),
            50 => reject(
                &mut csv,
                &mut line,
                b"50,fifty,5,inf",
                "column `price`: `inf` is not a finite number",
            ),
            60 => reject(
                &mut csv,
                &mut line,
                b"60,caf\xe9,6,1.0",
                "not valid UTF-8: invalid utf-8 sequence of 1 bytes from index 6",
            ),
            _ => {}
        }
        line += 1;
        // Every 100th row has no amount (NULL); every 7th ends in CR LF.
        let amount = if id % 100 == 0 {
            String::new()
        } else {
            format!("{}", id as i64 % 97 - 40)
        };
        let end = if id % 7 == 0 { "\r\n" } else { "\n" };
        csv.extend_from_slice(format!("{id},name {id},{amount},{}.25{end}", id % 10).as_bytes());
    }
    fs::write(path, csv).unwrap();
    rejects
}

#[test]
fn valid_rows_are_loaded_in_order_and_every_other_row_is_rejected_with_its_reason() {
    let tmp = TempDir::new("csv-load");
    let (input, db, rejects) = (
        tmp.path().join("sales.csv"),
        tmp.path().join("sales.sqlite"),
        tmp.path().join("rejected.tsv"),
    );
    let rows = 2000;
    let want_rejects = write_input(&input, rows);

    let output = run(Command::new(example("csv_to_sqlite"))
        .arg(&input)
        .arg(&db)
        .arg("--rejects")
        .arg(&rejects)
        .args(["--batch", "7", "--workers", "3"]));
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("2000 rows loaded into table `sales` of ")
            && stderr.contains(" in 286 transactions, 6 rejected (see "),
        "{stderr}"
    );
    assert_eq!(fs::read_to_string(&rejects).unwrap(), want_rejects);

    let conn = Connection::open(&db).unwrap();
    let (count, amounts, nulls, prices): (i64, i64, i64, f64) = conn
        .query_row(
            "SELECT COUNT(*), SUM(amount), COUNT(*) - COUNT(amount), SUM(price) FROM sales",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    let want_amounts: i64 = (1..=rows as i64)
        .filter(|id| id % 100 != 0)
        .map(|id| id % 97 - 40)
        .sum();
    let want_prices: f64 = (1..=rows).map(|id| (id % 10) as f64 + 0.25).sum();
    assert_eq!(count, rows as i64);
    assert_eq!(amounts, want_amounts);
    assert_eq!(nulls, 20);
    assert_eq!(prices, want_prices);

    let ids: Vec<i64> = conn
        .prepare("SELECT id FROM sales ORDER BY rowid")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        ids,
        (1..=rows as i64).collect::<Vec<_>>(),
        "rows out of order"
    );
    let (name, kind): (String, String) = conn
        .query_row(
            "SELECT name, typeof(price) FROM sales WHERE id = 7",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((name.as_str(), kind.as_str()), ("name 7", "real"));
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
        ("", "the first line must be a header naming the columns"),
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
            &[input, "x.db", "--batch", "0"][..],
            "invalid value '0' for '--batch <N>': needs a whole number of at least 1",
        ),
        (
            &[input, "x.db", "--rejects"][..],
            "a value is required for '--rejects <FILE>'",
        ),
        (
            &[input, "x.db", "--table="][..],
            "a value is required for '--table <NAME>'",
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
    assert!(text(&help.stdout).starts_with("Usage: csv_to_sqlite INPUT.csv DB.sqlite"));
}
