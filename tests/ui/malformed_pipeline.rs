use pipeline::pipeline;

fn main() {
    let _ = pipeline!(numbers(10) => );
    let _ = pipeline!(numbers(10) square);
    let _ = pipeline!(numbers(10) => [a, b] => c);
    let _ = pipeline!();
}
