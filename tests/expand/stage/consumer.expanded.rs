//! A consumer of one value that may fail, and one with a value per worker.
use pipeline::consumer;
use std::io;
fn write_all(
    lines: impl Iterator<Item = String>,
    mut out: Vec<u8>,
) -> io::Result<usize> {
    for line in lines {
        out.extend_from_slice(line.as_bytes());
    }
    Ok(out.len())
}
#[allow(non_camel_case_types)]
///The pipeline consumer of [`write_all`](fn@write_all): name it in `pipeline!` to run `write_all` on its own threads.
struct write_all {
    __args: (::pipeline::__private::Arg<Vec<u8>>,),
    __options: ::core::option::Option<::pipeline::__private::Options>,
}
#[allow(unknown_lints, unknown_or_malformed_diagnostic_attributes)]
const _: () = {
    #[diagnostic::on_unimplemented(
        message = "`write_all` takes 1 argument (`mut out: Vec<u8>`) but {__N} were given",
        label = "`write_all` takes 1 argument"
    )]
    pub trait Arguments<const __N: usize, __G> {
        fn args(&self, given: __G) -> (::pipeline::__private::Arg<Vec<u8>>,);
    }
    #[diagnostic::on_unimplemented(
        message = "`write_all` takes 1 argument (`mut out: Vec<u8>`) but 1 was given",
        label = "`write_all` takes 1 argument"
    )]
    pub trait OneArgument<__G> {
        fn args(&self, given: __G) -> (::pipeline::__private::Arg<Vec<u8>>,);
    }
    impl<__T> Arguments<1usize, (::pipeline::__private::Arg<Vec<u8>>,)> for __T {
        fn args(
            &self,
            given: (::pipeline::__private::Arg<Vec<u8>>,),
        ) -> (::pipeline::__private::Arg<Vec<u8>>,) {
            given
        }
    }
    #[diagnostic::do_not_recommend]
    impl<__T: Arguments<1, __G>, __G> OneArgument<__G> for __T {
        fn args(&self, given: __G) -> (::pipeline::__private::Arg<Vec<u8>>,) {
            Arguments::args(self, given)
        }
    }
    impl<const __N: usize, __G> ::pipeline::__private::Ctor<__G, write_all>
    for dyn Arguments<__N, __G> {
        fn args(&self, given: __G) -> (::pipeline::__private::Arg<Vec<u8>>,) {
            Arguments::args(self, given)
        }
    }
    impl<__G> ::pipeline::__private::Ctor<__G, write_all> for dyn OneArgument<__G> {
        fn args(&self, given: __G) -> (::pipeline::__private::Arg<Vec<u8>>,) {
            OneArgument::args(self, given)
        }
    }
    impl ::pipeline::__private::Replicate for write_all {
        fn replicate(&self) -> ::core::option::Option<Self> {
            #[allow(unused_imports)]
            use ::pipeline::__private::{ReplicateByClone as _, ReplicateByShare as _};
            ::core::option::Option::Some(Self {
                __args: ((&::pipeline::__private::Probe(&self.__args.0)).replicate()?,),
                __options: ::core::clone::Clone::clone(&self.__options),
            })
        }
    }
    impl ::pipeline::__private::AttrWorkers for write_all {
        type Count = ::pipeline::__private::One;
    }
    impl ::core::fmt::Debug for write_all {
        fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
            f.write_str("write_all")
        }
    }
    #[diagnostic::do_not_recommend]
    impl ::pipeline::__private::StageDef for write_all {
        type Kind = ::pipeline::__private::ConsumerKind;
        type Args = (::pipeline::__private::Arg<Vec<u8>>,);
        type In = String;
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
                    ::pipeline::__private::Options::new("write_all")
                }
            }
        }
        fn set_options(&mut self, options: ::pipeline::__private::Options) {
            self.__options = ::core::option::Option::Some(options);
        }
    }
    impl ::pipeline::__private::Consume for write_all {
        type In = String;
        type Output = usize;
        fn consume(
            self,
            input: ::pipeline::__private::Input<Self::In>,
        ) -> ::core::result::Result<Self::Output, ::pipeline::__private::BoxError> {
            let (arg0,) = self.__args;
            let arg0 = arg0.resolve();
            <<io::Result<
                usize,
            > as ::pipeline::__private::Fallible>::Error as ::pipeline::__private::StageError>::into_box(
                write_all(input, arg0),
            )
        }
    }
};
fn partial_sums(xs: impl Iterator<Item = u64>) -> u64 {
    xs.sum()
}
#[allow(non_camel_case_types)]
///The pipeline consumer of [`partial_sums`](fn@partial_sums): name it in `pipeline!` to run `partial_sums` on its own threads.
struct partial_sums {
    __args: (),
    __options: ::core::option::Option<::pipeline::__private::Options>,
}
#[allow(unknown_lints, unknown_or_malformed_diagnostic_attributes)]
const _: () = {
    #[diagnostic::on_unimplemented(
        message = "`partial_sums` takes no arguments but {__N} were given",
        label = "`partial_sums` takes no arguments"
    )]
    pub trait Arguments<const __N: usize, __G> {
        fn args(&self, given: __G) -> ();
    }
    #[diagnostic::on_unimplemented(
        message = "`partial_sums` takes no arguments but 1 was given",
        label = "`partial_sums` takes no arguments"
    )]
    pub trait OneArgument<__G> {
        fn args(&self, given: __G) -> ();
    }
    impl<__T> Arguments<0usize, ()> for __T {
        fn args(&self, given: ()) -> () {
            given
        }
    }
    #[diagnostic::do_not_recommend]
    impl<__T: Arguments<1, __G>, __G> OneArgument<__G> for __T {
        fn args(&self, given: __G) -> () {
            Arguments::args(self, given)
        }
    }
    impl<const __N: usize, __G> ::pipeline::__private::Ctor<__G, partial_sums>
    for dyn Arguments<__N, __G> {
        fn args(&self, given: __G) -> () {
            Arguments::args(self, given)
        }
    }
    impl<__G> ::pipeline::__private::Ctor<__G, partial_sums> for dyn OneArgument<__G> {
        fn args(&self, given: __G) -> () {
            OneArgument::args(self, given)
        }
    }
    impl ::pipeline::__private::Replicate for partial_sums {
        fn replicate(&self) -> ::core::option::Option<Self> {
            #[allow(unused_imports)]
            use ::pipeline::__private::{ReplicateByClone as _, ReplicateByShare as _};
            ::core::option::Option::Some(Self {
                __args: (),
                __options: ::core::clone::Clone::clone(&self.__options),
            })
        }
    }
    impl ::pipeline::__private::AttrWorkers for partial_sums {
        type Count = ::pipeline::__private::Several;
    }
    impl ::core::fmt::Debug for partial_sums {
        fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
            f.write_str("partial_sums")
        }
    }
    #[diagnostic::do_not_recommend]
    impl ::pipeline::__private::StageDef for partial_sums {
        type Kind = ::pipeline::__private::ConsumersKind;
        type Args = ();
        type In = u64;
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
                    ::pipeline::__private::Options::new("partial_sums")
                        .workers({
                            let value: usize = 3;
                            value
                        })
                        .buffer({
                            let value: usize = 64;
                            value
                        })
                }
            }
        }
        fn set_options(&mut self, options: ::pipeline::__private::Options) {
            self.__options = ::core::option::Option::Some(options);
        }
    }
    impl ::pipeline::__private::Consume for partial_sums {
        type In = u64;
        type Output = u64;
        fn consume(
            self,
            input: ::pipeline::__private::Input<Self::In>,
        ) -> ::core::result::Result<Self::Output, ::pipeline::__private::BoxError> {
            let () = self.__args;
            ::core::result::Result::<
                _,
                ::pipeline::__private::BoxError,
            >::Ok(partial_sums(input))
        }
    }
};
fn main() {
    assert_eq!(write_all(["ab".to_owned()].into_iter(), Vec::new()).unwrap(), 2);
    assert_eq!(partial_sums([1, 2].into_iter()), 3);
}
