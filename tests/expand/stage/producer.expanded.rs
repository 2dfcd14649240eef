//! A producer with an argument and workers: `Produce`, fed from what it returns.
use pipeline::producer;
pub fn lines(text: String) -> Vec<String> {
    text.lines().map(str::to_owned).collect()
}
#[allow(non_camel_case_types)]
///The pipeline producer of [`lines`](fn@lines): name it in `pipeline!` to run `lines` on its own threads.
pub struct lines {
    __args: (String,),
    __options: ::core::option::Option<::pipeline::__private::Options>,
}
#[allow(unknown_lints, unknown_or_malformed_diagnostic_attributes)]
const _: () = {
    #[diagnostic::on_unimplemented(
        message = "`lines` takes 1 argument (`text: String`) but {__N} were given",
        label = "`lines` takes 1 argument"
    )]
    pub trait Arguments<const __N: usize, __G> {
        fn args(&self, given: __G) -> (String,);
    }
    #[diagnostic::on_unimplemented(
        message = "`lines` takes 1 argument (`text: String`) but 1 was given",
        label = "`lines` takes 1 argument"
    )]
    pub trait OneArgument<__G> {
        fn args(&self, given: __G) -> (String,);
    }
    impl<__T> Arguments<1usize, (String,)> for __T {
        fn args(&self, given: (String,)) -> (String,) {
            given
        }
    }
    #[diagnostic::do_not_recommend]
    impl<__T: Arguments<1, __G>, __G> OneArgument<__G> for __T {
        fn args(&self, given: __G) -> (String,) {
            Arguments::args(self, given)
        }
    }
    impl<const __N: usize, __G> ::pipeline::__private::Ctor<__G, lines>
    for dyn Arguments<__N, __G> {
        fn args(&self, given: __G) -> (String,) {
            Arguments::args(self, given)
        }
    }
    impl<__G> ::pipeline::__private::Ctor<__G, lines> for dyn OneArgument<__G> {
        fn args(&self, given: __G) -> (String,) {
            OneArgument::args(self, given)
        }
    }
    impl ::core::clone::Clone for lines {
        fn clone(&self) -> Self {
            ::pipeline::__private::assert_clone::<String>();
            Self {
                __args: ::core::clone::Clone::clone(&self.__args),
                __options: ::core::clone::Clone::clone(&self.__options),
            }
        }
    }
    impl ::core::fmt::Debug for lines {
        fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
            f.write_str("lines")
        }
    }
    #[diagnostic::do_not_recommend]
    impl ::pipeline::__private::StageDef for lines {
        type Kind = ::pipeline::__private::ProducerKind;
        type Args = (String,);
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
