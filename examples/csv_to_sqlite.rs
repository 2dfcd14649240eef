//! Loading a CSV file into SQLite: a producer reads the file line by line, a stage
//! validates and converts the rows on several workers, keeping the file's order
//! (`ordered`), and a consumer inserts them in batched transactions. A row that does
//! not fit the header goes to a rejects file with its line number and the reason.
//!
//! ```text
//! cargo run --release --example csv_to_sqlite -- INPUT.csv DB.sqlite [--rejects FILE] [--batch N]
//! ```

#[path = "common/cli.rs"]
mod cli;

use clap::builder::{NonEmptyStringValueParser, PathBufValueParser, TypedValueParser};
use clap::Parser;
use pipeline::{consumer, pipeline, producer, stage, BoxError};
use rusqlite::types::Value;
use rusqlite::Connection;
use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process;
use std::sync::Arc;
use std::time::Instant;

/// Loads INPUT.csv into a new table of the SQLite database DB.sqlite (created if need
/// be), in transactions of N rows.
///
/// The first line of INPUT.csv is a header naming the columns, each with an optional
/// type: `id:int,name,price:real`. Types are `int`, `real` and `text` (the default).
/// Fields are separated by commas and not quoted. An empty `int` or `real` field is
/// stored as NULL.
///
/// A row that does not fit the header (wrong number of fields, a number that is not
/// one, a quoted field, text that is not UTF-8, an empty line) is not loaded: it is
/// written to the rejects file as `LINE<TAB>REASON<TAB>TEXT`.
#[derive(Parser)]
#[command(
    name = "csv_to_sqlite",
    override_usage = "csv_to_sqlite INPUT.csv DB.sqlite [--rejects FILE] [--batch N] \
                      [--table NAME] [--workers N]",
    help_template = cli::HELP_TEMPLATE,
    verbatim_doc_comment,
    after_help = "Exit status: 0 if every row was loaded, 1 if any was rejected or the load \
                  failed\n(batches committed before a failure stay in the database), 2 on a \
                  usage error."
)]
struct Args {
    /// the CSV file to load
    #[arg(value_name = "INPUT.csv", value_parser = PathBufValueParser::new().try_map(cli::readable_file))]
    input: PathBuf,
    /// the database to load it into
    #[arg(value_name = "DB.sqlite")]
    db: PathBuf,
    /// the rejects file, rewritten by each run (default: DB.sqlite.rejects)
    #[arg(long, value_name = "FILE")]
    rejects: Option<PathBuf>,
    /// rows per transaction
    #[arg(long, value_name = "N", default_value = "10000", value_parser = cli::at_least_one)]
    batch: usize,
    /// the new table's name (default: INPUT's name without its extension)
    #[arg(long, value_name = "NAME", value_parser = NonEmptyStringValueParser::new())]
    table: Option<String>,
    /// validate rows on N threads (default: the number of CPUs)
    #[arg(long, value_name = "N", value_parser = cli::at_least_one)]
    workers: Option<usize>,
}

/// A column's type, from its `name:type` in the header.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Type {
    Int,
    Real,
    Text,
}

impl Type {
    fn sql(self) -> &'static str {
        match self {
            Type::Int => "INTEGER",
            Type::Real => "REAL",
            Type::Text => "TEXT",
        }
    }
}

#[derive(Debug, Clone)]
struct Column {
    name: String,
    kind: Type,
}

/// One line of the input after the header.
enum Raw {
    Line {
        number: u64,
        bytes: Vec<u8>,
    },
    /// Reading the input failed: the run must stop, as no later line can be trusted.
    Unreadable(ReadError),
}

/// A failure to read the input file, which ends the load.
#[derive(Debug)]
struct ReadError(String);

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ReadError {}

/// The lines of the input file after the header.
struct Lines {
    reader: BufReader<File>,
    path: PathBuf,
    number: u64,
    done: bool,
}

impl Iterator for Lines {
    type Item = Raw;

    fn next(&mut self) -> Option<Raw> {
        if self.done {
            return None;
        }
        let mut bytes = Vec::new();
        match self.reader.read_until(b'\n', &mut bytes) {
            Ok(0) => {
                self.done = true;
                None
            }
            Ok(_) => {
                self.number += 1;
                if bytes.ends_with(b"\n") {
                    bytes.pop();
                }
                if bytes.ends_with(b"\r") {
                    bytes.pop();
                }
                Some(Raw::Line {
                    number: self.number,
                    bytes,
                })
            }
            Err(e) => {
                self.done = true;
                Some(Raw::Unreadable(ReadError(format!(
                    "reading {} after line {}: {e}",
                    self.path.display(),
                    self.number
                ))))
            }
        }
    }
}

/// Producer: the lines of `path` after its header line.
#[producer]
fn read_lines(path: PathBuf) -> io::Result<Lines> {
    let mut reader = BufReader::with_capacity(256 * 1024, File::open(&path)?);
    reader.read_until(b'\n', &mut Vec::new())?;
    Ok(Lines {
        reader,
        path,
        number: 1,
        done: false,
    })
}

/// A line, checked.
enum Checked {
    Row(Vec<Value>),
    Rejected {
        line: u64,
        reason: String,
        text: String,
    },
    Unreadable(ReadError),
}

/// Stage: checks a line against the header's columns and converts its fields.
#[stage(ordered)]
fn check(raw: Raw, columns: Arc<[Column]>) -> Checked {
    let (number, bytes) = match raw {
        Raw::Line { number, bytes } => (number, bytes),
        Raw::Unreadable(e) => return Checked::Unreadable(e),
    };
    match convert(&bytes, &columns) {
        Ok(row) => Checked::Row(row),
        Err(reason) => Checked::Rejected {
            line: number,
            reason,
            text: String::from_utf8_lossy(&bytes).into_owned(),
        },
    }
}

/// The fields of one line, converted to the columns' types, or why they cannot be.
fn convert(bytes: &[u8], columns: &[Column]) -> Result<Vec<Value>, String> {
    let line = std::str::from_utf8(bytes).map_err(|e| format!("not valid UTF-8: {e}"))?;
    if line.trim().is_empty() {
        return Err("empty line".to_owned());
    }
    let fields: Vec<&str> = line.split(',').collect();
    if fields.len() != columns.len() {
        return Err(format!(
            "expected {} fields, found {}",
            columns.len(),
            fields.len()
        ));
    }
    fields
        .iter()
        .zip(columns)
        .map(|(field, column)| {
            if field.trim_start().starts_with('"') {
                return Err(format!(
                    "column `{}`: quoted fields are not supported",
                    column.name
                ));
            }
            let trimmed = field.trim();
            match column.kind {
                Type::Text => Ok(Value::Text((*field).to_owned())),
                Type::Int | Type::Real if trimmed.is_empty() => Ok(Value::Null),
                Type::Int => trimmed
                    .parse()
                    .map(Value::Integer)
                    .map_err(|_| format!("column `{}`: `{field}` is not an integer", column.name)),
                Type::Real => match trimmed.parse::<f64>() {
                    Ok(x) if x.is_finite() => Ok(Value::Real(x)),
                    _ => Err(format!(
                        "column `{}`: `{field}` is not a finite number",
                        column.name
                    )),
                },
            }
        })
        .collect()
}

/// Where and how the consumer loads the rows.
#[derive(Debug, Clone)]
struct Target {
    db: PathBuf,
    insert: String,
    batch: usize,
    rejects: PathBuf,
}

/// What the load did.
struct Loaded {
    rows: u64,
    rejected: u64,
    batches: u64,
}

/// Consumer: inserts the rows in transactions of `target.batch` rows, and writes the
/// rejected lines to the rejects file.
#[consumer]
fn load(checked: impl Iterator<Item = Checked>, target: Target) -> Result<Loaded, BoxError> {
    let db = Connection::open(&target.db)?;
    let mut insert = db.prepare(&target.insert)?;
    let rejects =
        File::create(&target.rejects).map_err(|e| format!("{}: {e}", target.rejects.display()))?;
    let mut rejects = BufWriter::new(rejects);
    let mut loaded = Loaded {
        rows: 0,
        rejected: 0,
        batches: 0,
    };
    let mut in_batch = 0;
    for item in checked {
        match item {
            Checked::Row(values) => {
                if in_batch == 0 {
                    db.execute_batch("BEGIN")?;
                }
                insert.execute(rusqlite::params_from_iter(values))?;
                loaded.rows += 1;
                in_batch += 1;
                if in_batch == target.batch {
                    db.execute_batch("COMMIT")?;
                    loaded.batches += 1;
                    in_batch = 0;
                }
            }
            Checked::Rejected { line, reason, text } => {
                writeln!(rejects, "{line}\t{reason}\t{text}")?;
                loaded.rejected += 1;
            }
            Checked::Unreadable(e) => return Err(e.into()),
        }
    }
    if in_batch > 0 {
        db.execute_batch("COMMIT")?;
        loaded.batches += 1;
    }
    rejects.flush()?;
    Ok(loaded)
}

/// The columns the header line names.
fn parse_header(input: &Path) -> Result<Vec<Column>, String> {
    let file = File::open(input).map_err(|e| format!("{}: {e}", input.display()))?;
    let mut header = Vec::new();
    BufReader::new(file)
        .read_until(b'\n', &mut header)
        .map_err(|e| format!("{}: {e}", input.display()))?;
    let header = std::str::from_utf8(&header)
        .map_err(|_| format!("{}: the header line is not UTF-8", input.display()))?
        .trim_end_matches(['\n', '\r']);
    if header.trim().is_empty() {
        return Err(format!(
            "{}: the first line must be a header naming the columns",
            input.display()
        ));
    }
    let mut columns: Vec<Column> = Vec::new();
    for (i, field) in header.split(',').enumerate() {
        let (name, kind) = match field.rsplit_once(':') {
            Some((name, kind)) => (name.trim(), kind.trim()),
            None => (field.trim(), "text"),
        };
        let kind = match kind.to_ascii_lowercase().as_str() {
            "int" | "integer" => Type::Int,
            "real" | "float" => Type::Real,
            "text" => Type::Text,
            _ => {
                return Err(format!(
                    "{}: header column {}: unknown type `{kind}` (use int, real or text)",
                    input.display(),
                    i + 1
                ))
            }
        };
        if name.is_empty() {
            return Err(format!(
                "{}: header column {} has no name",
                input.display(),
                i + 1
            ));
        }
        if columns.iter().any(|c| c.name.eq_ignore_ascii_case(name)) {
            return Err(format!(
                "{}: header names column `{name}` twice",
                input.display()
            ));
        }
        columns.push(Column {
            name: name.to_owned(),
            kind,
        });
    }
    Ok(columns)
}

/// `name` as an SQL identifier.
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Fails if `table` exists in `db`.
fn check_absent(db: &Path, table: &str) -> Result<(), String> {
    let conn = Connection::open(db).map_err(|e| format!("{}: {e}", db.display()))?;
    let exists: bool = conn
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE name = ?1 COLLATE NOCASE)",
            [table],
            |row| row.get(0),
        )
        .map_err(|e| format!("{}: {e}", db.display()))?;
    if exists {
        return Err(format!(
            "{}: table `{table}` already exists; name another with --table",
            db.display()
        ));
    }
    Ok(())
}

/// Creates the table.
fn create_table(db: &Path, table: &str, columns: &[Column]) -> Result<(), String> {
    let definition: Vec<String> = columns
        .iter()
        .map(|c| format!("{} {}", quoted(&c.name), c.kind.sql()))
        .collect();
    Connection::open(db)
        .and_then(|conn| {
            conn.execute_batch(&format!(
                "CREATE TABLE {} ({})",
                quoted(table),
                definition.join(", ")
            ))
        })
        .map_err(|e| format!("{}: {e}", db.display()))
}

fn main() {
    let Args {
        input,
        db,
        rejects,
        batch,
        table,
        workers,
    } = Args::parse();
    let workers = workers.unwrap_or_else(cli::cpus);
    let rejects = rejects.unwrap_or_else(|| {
        let mut name = db.clone().into_os_string();
        name.push(".rejects");
        name.into()
    });
    let table = table.unwrap_or_else(|| {
        input
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "data".to_owned())
    });

    let columns = parse_header(&input).and_then(|columns| {
        check_absent(&db, &table)?;
        File::create(&rejects).map_err(|e| format!("{}: {e}", rejects.display()))?;
        create_table(&db, &table, &columns)?;
        Ok(columns)
    });
    let columns: Arc<[Column]> = match columns {
        Ok(columns) => columns.into(),
        Err(e) => {
            eprintln!("csv_to_sqlite: {e}");
            process::exit(1);
        }
    };
    let target = Target {
        db: db.clone(),
        insert: format!(
            "INSERT INTO {} VALUES ({})",
            quoted(&table),
            vec!["?"; columns.len()].join(", ")
        ),
        batch,
        rejects: rejects.clone(),
    };

    let started = Instant::now();
    let loaded =
        match pipeline!(read_lines(input) => check(columns)[workers = workers] => load(target))
            .run()
        {
            Ok(loaded) => loaded,
            Err(e) => {
                match std::error::Error::source(&e).and_then(|s| s.downcast_ref::<ReadError>()) {
                    Some(read) => eprintln!("csv_to_sqlite: {read}"),
                    None => eprintln!("csv_to_sqlite: {e}"),
                }
                process::exit(1);
            }
        };
    eprintln!(
        "csv_to_sqlite: {} loaded into table `{table}` of {} in {}, {} rejected{}, in {:.2} s \
         on {}",
        cli::count(loaded.rows, "row"),
        db.display(),
        cli::count(loaded.batches, "transaction"),
        loaded.rejected,
        if loaded.rejected > 0 {
            format!(" (see {})", rejects.display())
        } else {
            String::new()
        },
        started.elapsed().as_secs_f64(),
        cli::count(workers as u64, "worker"),
    );
    process::exit(i32::from(loaded.rejected > 0));
}
