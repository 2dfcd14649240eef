use pipeline::pipeline;

fn main() {
    let _ = pipeline!(numbers(10) => );
    let _ = pipeline!(numbers(10) square);
    let _ = pipeline!(numbers(10) => []);
    let _ = pipeline!();
    let _ = pipeline! { let lines = read(1) lines => count };
}
