//! `examples/rules.rs`: rules that crash, hang or exhaust the C library's regex
//! matcher are skipped with their reasons, and every other rule's count is what
//! `grep -cE` counts on the same text.

mod examples_common;

use examples_common::{example, TempDir};
use std::fs;
use std::process::Command;

#[test]
fn poisoned_rules_are_skipped_with_their_reason_and_the_rest_match_grep() {
    let dir = TempDir::new("rules");
    let text: Vec<String> = (0..500)
        .map(|i| {
            format!(
                "{} user{} GET /item/{} {}",
                ["error", "warn", "info"][i % 3],
                i % 23,
                i * 31 % 997,
                if i % 4 == 0 {
                    "ok"
                } else {
                    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                }
            )
        })
        .collect();
    let text_path = dir.path().join("text");
    fs::write(&text_path, text.join("\n") + "\n").unwrap();
    let mut rules: Vec<String> = (0..40)
        .map(|i| {
            format!(
                "{}.*{}",
                ["^error", "warn", "user1[0-9]", "GET"][i % 4],
                ["ok$", "item/[0-9]+5", "a{5,}", " user[0-9] "][i / 10]
            )
        })
        .collect();
    rules[5] = "unbalanced(".to_owned();
    rules[11] = format!("{}a{}", "(".repeat(30_000), ")".repeat(30_000));
    rules[23] = r"(|)(\1\1)*".to_owned();
    rules[31] = r"(a*)*(\1)*b".to_owned();
    let rules_path = dir.path().join("rules");
    fs::write(&rules_path, rules.join("\n") + "\n").unwrap();

    let output = Command::new(example("rules"))
        .args(["--workers", "2", "--rules"])
        .arg(&rules_path)
        .arg("--text")
        .arg(&text_path)
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();

    // One line per rule, in rule order, but for the three skipped.
    let checked: Vec<usize> = lines
        .iter()
        .take_while(|l| !l.contains("rules checked"))
        .map(|l| l.split(' ').next().unwrap().parse().unwrap())
        .collect();
    let want: Vec<usize> = (0..40).filter(|i| ![11, 23, 31].contains(i)).collect();
    assert_eq!(checked, want, "{stdout}");
    assert!(stdout.contains("5 invalid: Unmatched ( or \\("), "{stdout}");
    for line in lines.iter().take_while(|l| !l.contains("rules checked")) {
        let mut words = line.splitn(3, ' ');
        let index: usize = words.next().unwrap().parse().unwrap();
        let count = words.next().unwrap();
        if count == "invalid:" {
            continue;
        }
        let grep = Command::new("grep")
            .args(["-cE", "-e", &rules[index]])
            .arg(&text_path)
            .output()
            .unwrap();
        let grep = String::from_utf8(grep.stdout).unwrap();
        assert_eq!(count, grep.trim(), "rule {index} `{}`", rules[index]);
    }

    assert!(stdout.contains("37 rules checked, 3 skipped"), "{stdout}");
    let skipped = |index: usize| {
        lines
            .iter()
            .find(|l| l.starts_with(&format!("skipped {index} ")))
            .unwrap_or_else(|| panic!("rule {index} not reported skipped: {stdout}"))
            .to_string()
    };
    let deep = skipped(11);
    assert!(deep.contains("killed by SIG"), "{deep}");
    assert!(skipped(23).contains("killed by SIG"), "{stdout}");
    assert!(
        skipped(31).contains("ran past its timeout of 2s"),
        "{stdout}"
    );
}
