//! Loading a CSV file into SQLite: a producer reads the file's records with the `csv`
//! crate, a stage validates and converts them on several workers, keeping the file's
//! order (`ordered`), and a consumer inserts them in one transaction that it commits
//! after its loop, as the sequential program would: a load that fails anywhere, in
//! any stage, leaves the database as it was. A row that does not fit the header goes
//! to a rejects file with its line number and the reason.
//!
//! ```text
//! cargo run --release --example csv_to_sqlite -- INPUT.csv DB.sqlite [--rejects FILE] [--strict]
//! ```

#[path = "common/cli.rs"]
mod cli;

use clap::builder::{NonEmptyStringValueParser, PathBufValueParser, TypedValueParser};
use clap::Parser;
use csv::ByteRecord;
use pipeline::{consumer, pipeline, producer, stage, BoxError};
use rusqlite::types::Value;
use rusqlite::Connection;
use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process;
use std::time::Instant;

/// Loads INPUT.csv into a new table of the SQLite database DB.sqlite (created if need
/// be), in one transaction: the table and its rows are committed once the whole file
/// has been read, so a load that fails leaves the database as it was.
///
/// INPUT.csv is CSV as RFC 4180 has it: a field may be quoted ("a, b"), with "" for a
/// quote and line ends inside the quotes; lines may end in LF or CR LF; blank lines
/// are skipped. Its first row is a header naming the columns, each with an optional
/// type: `id:int,name,price:real`. Types are `int`, `real` and `text` (the default).
/// An empty `int` or `real` field is stored as NULL, and so are the fields missing
/// from a row shorter than the header.
///
/// A row that does not fit the header (more fields than the header names, a number
/// that is not one, text that is not UTF-8) is not loaded: it is written to the
/// rejects file as a tab-separated `LINE REASON ROW` line, ROW being the row as CSV,
/// and a field holding a tab, a quote or a line end quoted as in CSV. With --strict,
/// such a row stops the load instead.
#[derive(Parser)]
#[command(
    name = "csv_to_sqlite",
    override_usage = "csv_to_sqlite INPUT.csv DB.sqlite [--rejects FILE] [--strict] \
                      [--table NAME] [--workers N]",
    help_template = cli::HELP_TEMPLATE,
    verbatim_doc_comment,
    after_help = "Exit status: 0 if every row was loaded, 1 if any was rejected or the load \
                  failed\n(then nothing is loaded), 2 on a usage error."
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
    /// stop at the first row that does not fit the header, and load nothing
    #[arg(long)]
    strict: bool,
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

/// How rows are checked: each worker of `check` has its own copy, lent to each call.
#[derive(Debug, Clone)]
struct Rules {
    columns: Vec<Column>,
    /// A row that does not fit stops the load, rather than being rejected.
    strict: bool,
}

/// Why a load stopped: the run fails, and nothing is loaded.
#[derive(Debug)]
struct Stopped(String);

impl fmt::Display for Stopped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Stopped {}

/// How every CSV file here is read: records may be shorter or longer than the
/// header, for the check to decide what to do with them.
fn csv_reader() -> csv::ReaderBuilder {
    let mut builder = csv::ReaderBuilder::new();
    builder.flexible(true);
    builder
}

/// A record and the number of the line it starts on.
type Record = (u64, ByteRecord);

/// The records of a CSV file after its header, each with its line number.
struct Records {
    reader: csv::Reader<LineByLine>,
    done: bool,
}

impl Iterator for Records {
    type Item = csv::Result<Record>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let mut record = ByteRecord::new();
        match self.reader.read_byte_record(&mut record) {
            Ok(true) => {
                let inside = record.iter().flatten().filter(|&&b| b == b'\n').count();
                let line = self.reader.get_ref().line() - inside as u64;
                Some(Ok((line, record)))
            }
            Ok(false) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

/// The file under the csv reader, handed to it at most one line per `read`: so when
/// the reader returns a record, the last line it read is the one the record ends on,
/// and counting the lines read gives the record's line number. (The positions the
/// csv reader keeps itself go wrong after a CR LF line end.)
struct LineByLine {
    file: BufReader<File>,
    /// Line ends read.
    newlines: u64,
    /// Whether what was read so far ends a line.
    at_line_start: bool,
}

impl LineByLine {
    /// The number of the line the last byte read is on.
    fn line(&self) -> u64 {
        self.newlines + u64::from(!self.at_line_start)
    }
}

impl Read for LineByLine {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let available = self.file.fill_buf()?;
        let line = match available.iter().position(|&b| b == b'\n') {
            Some(end) => &available[..=end],
            None => available,
        };
        let n = line.len().min(buf.len());
        buf[..n].copy_from_slice(&line[..n]);
        self.file.consume(n);
        if n > 0 {
            self.at_line_start = buf[n - 1] == b'\n';
            self.newlines += u64::from(self.at_line_start);
        }
        Ok(n)
    }
}

/// Producer: the records of the file at `path` after its header.
#[producer]
fn records(path: PathBuf) -> io::Result<Records> {
    let file = BufReader::with_capacity(256 * 1024, File::open(path)?);
    let lines = LineByLine {
        file,
        newlines: 0,
        at_line_start: true,
    };
    Ok(Records {
        reader: csv_reader().from_reader(lines),
        done: false,
    })
}

/// A record, checked.
enum Checked {
    /// The values of a row, one per column; `short` if the row lacked some fields.
    Row { values: Vec<Value>, short: bool },
    /// A row that was not loaded.
    Rejected {
        line: u64,
        reason: String,
        row: String,
    },
}

/// Stage: checks a record against the header's columns and converts its fields. A
/// record that could not be read stops the load, as does, with `--strict`, one that
/// does not fit.
#[stage(ordered)]
fn check(record: csv::Result<Record>, rules: &Rules) -> Result<Checked, Stopped> {
    let (line, record) = record.map_err(|e| Stopped(format!("cannot read it: {e}")))?;
    match convert(&record, &rules.columns) {
        Ok(values) => Ok(Checked::Row {
            short: record.len() < rules.columns.len(),
            values,
        }),
        Err(reason) if rules.strict => Err(Stopped(format!("line {line}: {reason}"))),
        Err(reason) => Ok(Checked::Rejected {
            line,
            reason,
            row: as_csv(&record),
        }),
    }
}

/// The fields of one record, converted to the columns' types, a NULL for each field
/// missing at its end; or why they cannot be.
fn convert(record: &ByteRecord, columns: &[Column]) -> Result<Vec<Value>, String> {
    if record.len() > columns.len() {
        return Err(format!(
            "expected at most {} fields, found {}",
            columns.len(),
            record.len()
        ));
    }
    let mut values = Vec::with_capacity(columns.len());
    for (field, column) in record.iter().zip(columns) {
        let field = std::str::from_utf8(field)
            .map_err(|e| format!("column `{}`: not valid UTF-8: {e}", column.name))?;
        let trimmed = field.trim();
        values.push(match column.kind {
            Type::Text => Value::Text(field.to_owned()),
            Type::Int | Type::Real if trimmed.is_empty() => Value::Null,
            Type::Int => trimmed
                .parse()
                .map(Value::Integer)
                .map_err(|_| format!("column `{}`: `{field}` is not an integer", column.name))?,
            Type::Real => match trimmed.parse::<f64>() {
                Ok(x) if x.is_finite() => Value::Real(x),
                _ => {
                    return Err(format!(
                        "column `{}`: `{field}` is not a finite number",
                        column.name
                    ))
                }
            },
        });
    }
    values.resize(columns.len(), Value::Null);
    Ok(values)
}

/// `record` written back as one CSV row, without its line end.
fn as_csv(record: &ByteRecord) -> String {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    const MEMORY: &str = "writing to memory does not fail";
    writer.write_byte_record(record).expect(MEMORY);
    let mut bytes = writer.into_inner().expect(MEMORY);
    bytes.pop();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Where and how the consumer loads the rows.
#[derive(Debug, Clone)]
struct Target {
    create: String,
    insert: String,
    rejects: PathBuf,
}

/// What the load did.
#[derive(Default)]
struct Loaded {
    rows: u64,
    short: u64,
    rejected: u64,
}

/// Consumer: creates the table and inserts the rows in one transaction, and writes
/// the rejected rows to the rejects file. It has one worker, so the connection opened
/// by `main` is moved in: it need not be `Clone`.
///
/// The transaction is committed after the loop, so only once every row has arrived.
/// If the load fails, here or in another stage, the loop does not end: `?` returns
/// from here, or the run unwinds this function at its next row, and the transaction,
/// dropped without a commit, rolls back the table and every row.
#[consumer]
fn load(
    checked: impl Iterator<Item = Checked>,
    mut db: Connection,
    target: Target,
) -> Result<Loaded, BoxError> {
    let mut rejects = csv::WriterBuilder::new()
        .delimiter(b'\t')
        .from_path(&target.rejects)?;
    let mut loaded = Loaded::default();
    let transaction = db.transaction()?;
    transaction.execute_batch(&target.create)?;
    {
        let mut insert = transaction.prepare(&target.insert)?;
        for item in checked {
            match item {
                Checked::Row { values, short } => {
                    insert.execute(rusqlite::params_from_iter(values))?;
                    loaded.rows += 1;
                    loaded.short += u64::from(short);
                }
                Checked::Rejected { line, reason, row } => {
                    rejects.write_record([line.to_string(), reason, row])?;
                    loaded.rejected += 1;
                }
            }
        }
    }
    transaction.commit()?;
    rejects.flush()?;
    Ok(loaded)
}

/// The columns the header names.
fn parse_header(input: &Path) -> Result<Vec<Column>, String> {
    let mut reader = csv_reader()
        .from_path(input)
        .map_err(|e| format!("{}: {e}", input.display()))?;
    let header = reader
        .byte_headers()
        .map_err(|e| format!("{}: {e}", input.display()))?;
    if header.is_empty() {
        return Err(format!(
            "{}: the file must start with a header naming the columns",
            input.display()
        ));
    }
    let mut columns: Vec<Column> = Vec::new();
    for (i, field) in header.iter().enumerate() {
        let field = std::str::from_utf8(field)
            .map_err(|_| format!("{}: header column {} is not UTF-8", input.display(), i + 1))?;
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

/// Opens `db`, and fails if `table` exists in it.
fn open_without(db: &Path, table: &str) -> Result<Connection, String> {
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
    Ok(conn)
}

fn main() {
    let args = Args::parse();
    let workers = args.workers.unwrap_or_else(cli::cpus);
    let (input, db) = (args.input, args.db);
    let rejects = args.rejects.unwrap_or_else(|| {
        let mut name = db.clone().into_os_string();
        name.push(".rejects");
        name.into()
    });
    let table = args.table.unwrap_or_else(|| {
        input
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "data".to_owned())
    });

    let opened = parse_header(&input).and_then(|columns| {
        let conn = open_without(&db, &table)?;
        File::create(&rejects).map_err(|e| format!("{}: {e}", rejects.display()))?;
        Ok((columns, conn))
    });
    let (columns, conn) = match opened {
        Ok(opened) => opened,
        Err(e) => {
            eprintln!("csv_to_sqlite: {e}");
            process::exit(1);
        }
    };
    let definition: Vec<String> = columns
        .iter()
        .map(|c| format!("{} {}", quoted(&c.name), c.kind.sql()))
        .collect();
    let target = Target {
        create: format!(
            "CREATE TABLE {} ({})",
            quoted(&table),
            definition.join(", ")
        ),
        insert: format!(
            "INSERT INTO {} VALUES ({})",
            quoted(&table),
            vec!["?"; columns.len()].join(", ")
        ),
        rejects: rejects.clone(),
    };
    let rules = Rules {
        columns,
        strict: args.strict,
    };

    let started = Instant::now();
    let loaded =
        match pipeline!(records(input.clone()) => check(rules)[workers = workers] => load(conn, target))
            .run()
        {
            Ok(loaded) => loaded,
            Err(e) => {
                match std::error::Error::source(&e).and_then(|s| s.downcast_ref::<Stopped>()) {
                    Some(stopped) => eprintln!("csv_to_sqlite: {}: {stopped}", input.display()),
                    None => eprintln!("csv_to_sqlite: {e}"),
                }
                eprintln!("csv_to_sqlite: nothing was loaded");
                process::exit(1);
            }
        };
    eprintln!(
        "csv_to_sqlite: {} loaded into table `{table}` of {}{}, {} rejected{}, in {:.2} s on {}",
        cli::count(loaded.rows, "row"),
        db.display(),
        if loaded.short > 0 {
            format!(" ({} short, the missing fields NULL)", loaded.short)
        } else {
            String::new()
        },
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
