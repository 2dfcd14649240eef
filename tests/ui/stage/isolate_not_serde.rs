use pipeline::stage;

struct Image(Vec<u8>);

#[stage(isolate)]
fn thumbnail(image: Image) -> Vec<u8> {
    image.0
}

struct Thumbnail(Vec<u8>);

#[stage(isolate)]
fn shrink(image: Vec<u8>) -> Thumbnail {
    Thumbnail(image)
}


struct Label(String);

#[stage(isolate)]
fn tag(x: u64, label: &Label) -> String {
    format!("{}{x}", label.0)
}

fn main() {}
