//! A producer with an argument and workers: `Produce`, fed from what it returns.
use pipeline::producer;
pub fn lines(text: String) -> Vec<String> {
    text.lines().map(str::to_owned).collect()
}
#[allow(non_camel_case_types)]
///The pipeline producer of [`lines`](fn@lines): name it in `pipeline!` to run `lines` on its own threads.
pub struct lines {
    __args: (::pipeline::__private::Arg<String>,),
    __options: ::core::option::Option<::pipeline::__private::Options>,
}
#[allow(unknown_lints, unknown_or_malformed_diagnostic_attributes)]
const _: () = {
    #[diagnostic::on_unimplemented(
        message = "`lines` takes 1 argument (`text: String`) but {__N} were given",
        label = "`lines` takes 1 argument"
    )]
    pub trait Arguments<const __N: usize, __G> {
        fn args(&self, given: __G) -> (::pipeline::__private::Arg<String>,);
    }
    #[diagnostic::on_unimplemented(
        message = "`lines` takes 1 argument (`text: String`) but 1 was given",
        label = "`lines` takes 1 argument"
    )]
    pub trait OneArgument<__G> {
        fn args(&self, given: __G) -> (::pipeline::__private::Arg<String>,);
    }
    impl<__T> Arguments<1usize, (::pipeline::__private::Arg<String>,)> for __T {
        fn args(
            &self,
            given: (::pipeline::__private::Arg<String>,),
        ) -> (::pipeline::__private::Arg<String>,) {
            given
        }
    }
    #[diagnostic::do_not_recommend]
    impl<__T: Arguments<1, __G>, __G> OneArgument<__G> for __T {
        fn args(&self, given: __G) -> (::pipeline::__private::Arg<String>,) {
            Arguments::args(self, given)
        }
    }
    impl<const __N: usize, __G> ::pipeline::__private::Ctor<__G, lines>
    for dyn Arguments<__N, __G> {
        fn args(&self, given: __G) -> (::pipeline::__private::Arg<String>,) {
            Arguments::args(self, given)
        }
    }
    impl<__G> ::pipeline::__private::Ctor<__G, lines> for dyn OneArgument<__G> {
        fn args(&self, given: __G) -> (::pipeline::__private::Arg<String>,) {
            OneArgument::args(self, given)
        }
    }
    impl ::pipeline::__private::Replicate for lines {
        fn replicate(&self) -> ::core::option::Option<Self> {
            #[allow(unused_imports)]
            use ::pipeline::__private::{ReplicateByClone as _, ReplicateByShare as _};
            ::core::option::Option::Some(Self {
                __args: ((&::pipeline::__private::Probe(&self.__args.0)).replicate()?,),
                __options: ::core::clone::Clone::clone(&self.__options),
            })
        }
    }
    impl ::pipeline::__private::AttrWorkers for lines {
        type Count = ::pipeline::__private::Several;
    }
    impl ::core::fmt::Debug for lines {
        fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
            f.write_str("lines")
        }
    }
    #[diagnostic::do_not_recommend]
    impl ::pipeline::__private::StageDef for lines {
        type Kind = ::pipeline::__private::ProducerKind;
        type Args = (::pipeline::__private::Arg<String>,);
        type In = ();
        type Given<const __N: usize, __G> = dyn Arguments<__N, __G>;
        type GivenOne<__G> = dyn OneArgument<__G>;
        fn new(args: Self::Args) -> Self {
            Self {
                __args: args,
                __options: ::core::option::Option::None,
            }
        }
        fn options(&self) -> ::pipeline::__private::Options {
            match &self.__options {
                ::core::option::Option::Some(options) => {
                    ::core::clone::Clone::clone(options)
                }
                ::core::option::Option::None => {
                    ::pipeline::__private::Options::new("lines")
                        .workers({
                            let value: usize = 2;
                            value
                        })
                }
            }
        }
        fn set_options(&mut self, options: ::pipeline::__private::Options) {
            self.__options = ::core::option::Option::Some(options);
        }
    }
    impl ::pipeline::__private::Produce for lines {
        type Item = <Vec<String> as ::pipeline::__private::Items>::Item;
        fn produce(
            self,
            out: &mut ::pipeline::__private::Output<Self::Item>,
        ) -> ::core::result::Result<(), ::pipeline::__private::BoxError> {
            let (arg0,) = self.__args;
            let arg0 = arg0.resolve();
            <_ as ::pipeline::__private::Items>::feed(
                ::core::result::Result::<
                    _,
                    ::pipeline::__private::BoxError,
                >::Ok(lines(arg0))?,
                out,
            )
        }
    }
};
fn main() {
    assert_eq!(lines("a\nb".to_owned()), ["a", "b"]);
}
