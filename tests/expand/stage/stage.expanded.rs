//! An item-form stage with an argument, ordered; a stream-form stage; a stage that
//! may fail.
use pipeline::stage;
fn scale(x: u64, k: u64) -> Option<u64> {
    x.checked_mul(k)
}
#[allow(non_camel_case_types)]
///The pipeline stage of [`scale`](fn@scale): name it in `pipeline!` to run `scale` on its own threads.
struct scale {
    __args: (::pipeline::__private::Arg<u64>,),
    __options: ::core::option::Option<::pipeline::__private::Options>,
}
#[allow(unknown_lints, unknown_or_malformed_diagnostic_attributes)]
const _: () = {
    #[diagnostic::on_unimplemented(
        message = "`scale` takes 1 argument (`k: u64`) but {__N} were given",
        label = "`scale` takes 1 argument"
    )]
    pub trait Arguments<const __N: usize, __G> {
        fn args(&self, given: __G) -> (::pipeline::__private::Arg<u64>,);
    }
    #[diagnostic::on_unimplemented(
        message = "`scale` takes 1 argument (`k: u64`) but 1 was given",
        label = "`scale` takes 1 argument"
    )]
    pub trait OneArgument<__G> {
        fn args(&self, given: __G) -> (::pipeline::__private::Arg<u64>,);
    }
    impl<__T> Arguments<1usize, (::pipeline::__private::Arg<u64>,)> for __T {
        fn args(
            &self,
            given: (::pipeline::__private::Arg<u64>,),
        ) -> (::pipeline::__private::Arg<u64>,) {
            given
        }
    }
    #[diagnostic::do_not_recommend]
    impl<__T: Arguments<1, __G>, __G> OneArgument<__G> for __T {
        fn args(&self, given: __G) -> (::pipeline::__private::Arg<u64>,) {
            Arguments::args(self, given)
        }
    }
    impl<const __N: usize, __G> ::pipeline::__private::Ctor<__G, scale>
    for dyn Arguments<__N, __G> {
        fn args(&self, given: __G) -> (::pipeline::__private::Arg<u64>,) {
            Arguments::args(self, given)
        }
    }
    impl<__G> ::pipeline::__private::Ctor<__G, scale> for dyn OneArgument<__G> {
        fn args(&self, given: __G) -> (::pipeline::__private::Arg<u64>,) {
            OneArgument::args(self, given)
        }
    }
    impl ::pipeline::__private::Replicate for scale {
        fn replicate(&self) -> ::core::option::Option<Self> {
            #[allow(unused_imports)]
            use ::pipeline::__private::{ReplicateByClone as _, ReplicateByShare as _};
            ::core::option::Option::Some(Self {
                __args: ((&::pipeline::__private::Probe(&self.__args.0)).replicate()?,),
                __options: ::core::clone::Clone::clone(&self.__options),
            })
        }
    }
    impl ::pipeline::__private::AttrWorkers for scale {
        type Count = ::pipeline::__private::Several;
    }
    impl ::core::fmt::Debug for scale {
        fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
            f.write_str("scale")
        }
    }
    #[diagnostic::do_not_recommend]
    impl ::pipeline::__private::StageDef for scale {
        type Kind = ::pipeline::__private::ItemKind;
        type Args = (::pipeline::__private::Arg<u64>,);
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
                    ::pipeline::__private::Options::new("scale")
                        .workers({
                            let value: usize = 4;
                            value
                        })
                        .ordered(true)
                }
            }
        }
        fn set_options(&mut self, options: ::pipeline::__private::Options) {
            self.__options = ::core::option::Option::Some(options);
        }
    }
    /// One worker of the stage: its arguments, made on its own thread.
    struct __PipelineWorker(u64);
    impl ::pipeline::__private::ItemStage for scale {
        type In = u64;
        type Out = u64;
        type Worker = __PipelineWorker;
        fn start(self) -> __PipelineWorker {
            let (arg0,) = self.__args;
            __PipelineWorker(arg0.resolve())
        }
    }
    impl ::pipeline::__private::MapItem for __PipelineWorker {
        type In = u64;
        type Out = u64;
        #[inline]
        fn map(
            &mut self,
            item: Self::In,
        ) -> ::core::result::Result<
            ::core::option::Option<Self::Out>,
            ::pipeline::__private::BoxError,
        > {
            ::core::result::Result::<
                _,
                ::pipeline::__private::BoxError,
            >::Ok(
                scale(item, <u64 as ::pipeline::__private::CloneEachItem>::each(&self.0)),
            )
        }
    }
};
fn pairs<I>(xs: I) -> impl Iterator<Item = (u64, u64)>
where
    I: Iterator<Item = u64>,
{
    xs.map(|x| (x, x))
}
#[allow(non_camel_case_types)]
///The pipeline stage of [`pairs`](fn@pairs): name it in `pipeline!` to run `pairs` on its own threads.
struct pairs {
    __args: (),
    __options: ::core::option::Option<::pipeline::__private::Options>,
}
#[allow(unknown_lints, unknown_or_malformed_diagnostic_attributes)]
const _: () = {
    #[diagnostic::on_unimplemented(
        message = "`pairs` takes no arguments but {__N} were given",
        label = "`pairs` takes no arguments"
    )]
    pub trait Arguments<const __N: usize, __G> {
        fn args(&self, given: __G) -> ();
    }
    #[diagnostic::on_unimplemented(
        message = "`pairs` takes no arguments but 1 was given",
        label = "`pairs` takes no arguments"
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
    impl<const __N: usize, __G> ::pipeline::__private::Ctor<__G, pairs>
    for dyn Arguments<__N, __G> {
        fn args(&self, given: __G) -> () {
            Arguments::args(self, given)
        }
    }
    impl<__G> ::pipeline::__private::Ctor<__G, pairs> for dyn OneArgument<__G> {
        fn args(&self, given: __G) -> () {
            OneArgument::args(self, given)
        }
    }
    impl ::pipeline::__private::Replicate for pairs {
        fn replicate(&self) -> ::core::option::Option<Self> {
            #[allow(unused_imports)]
            use ::pipeline::__private::{ReplicateByClone as _, ReplicateByShare as _};
            ::core::option::Option::Some(Self {
                __args: (),
                __options: ::core::clone::Clone::clone(&self.__options),
            })
        }
    }
    impl ::pipeline::__private::AttrWorkers for pairs {
        type Count = ::pipeline::__private::One;
    }
    impl ::core::fmt::Debug for pairs {
        fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
            f.write_str("pairs")
        }
    }
    #[diagnostic::do_not_recommend]
    impl ::pipeline::__private::StageDef for pairs {
        type Kind = ::pipeline::__private::StreamKind;
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
                    ::pipeline::__private::Options::new("pairs")
                }
            }
        }
        fn set_options(&mut self, options: ::pipeline::__private::Options) {
            self.__options = ::core::option::Option::Some(options);
        }
    }
    impl ::pipeline::__private::Transform for pairs {
        type In = u64;
        type Out = (u64, u64);
        fn transform(
            self,
            input: ::pipeline::__private::Input<Self::In>,
            out: &mut ::pipeline::__private::Output<Self::Out>,
        ) -> ::core::result::Result<(), ::pipeline::__private::BoxError> {
            let () = self.__args;
            <_ as ::pipeline::__private::Items>::feed(
                ::core::result::Result::<
                    _,
                    ::pipeline::__private::BoxError,
                >::Ok(pairs(input))?,
                out,
            )
        }
    }
};
fn parse(line: String) -> Result<u64, std::num::ParseIntError> {
    line.parse()
}
#[allow(non_camel_case_types)]
///The pipeline stage of [`parse`](fn@parse): name it in `pipeline!` to run `parse` on its own threads.
struct parse {
    __args: (),
    __options: ::core::option::Option<::pipeline::__private::Options>,
}
#[allow(unknown_lints, unknown_or_malformed_diagnostic_attributes)]
const _: () = {
    #[diagnostic::on_unimplemented(
        message = "`parse` takes no arguments but {__N} were given",
        label = "`parse` takes no arguments"
    )]
    pub trait Arguments<const __N: usize, __G> {
        fn args(&self, given: __G) -> ();
    }
    #[diagnostic::on_unimplemented(
        message = "`parse` takes no arguments but 1 was given",
        label = "`parse` takes no arguments"
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
    impl<const __N: usize, __G> ::pipeline::__private::Ctor<__G, parse>
    for dyn Arguments<__N, __G> {
        fn args(&self, given: __G) -> () {
            Arguments::args(self, given)
        }
    }
    impl<__G> ::pipeline::__private::Ctor<__G, parse> for dyn OneArgument<__G> {
        fn args(&self, given: __G) -> () {
            OneArgument::args(self, given)
        }
    }
    impl ::pipeline::__private::Replicate for parse {
        fn replicate(&self) -> ::core::option::Option<Self> {
            #[allow(unused_imports)]
            use ::pipeline::__private::{ReplicateByClone as _, ReplicateByShare as _};
            ::core::option::Option::Some(Self {
                __args: (),
                __options: ::core::clone::Clone::clone(&self.__options),
            })
        }
    }
    impl ::pipeline::__private::AttrWorkers for parse {
        type Count = ::pipeline::__private::One;
    }
    impl ::core::fmt::Debug for parse {
        fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
            f.write_str("parse")
        }
    }
    #[diagnostic::do_not_recommend]
    impl ::pipeline::__private::StageDef for parse {
        type Kind = ::pipeline::__private::ItemKind;
        type Args = ();
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
                    ::pipeline::__private::Options::new("parse")
                }
            }
        }
        fn set_options(&mut self, options: ::pipeline::__private::Options) {
            self.__options = ::core::option::Option::Some(options);
        }
    }
    /// One worker of the stage: its arguments, made on its own thread.
    struct __PipelineWorker();
    impl ::pipeline::__private::ItemStage for parse {
        type In = String;
        type Out = u64;
        type Worker = __PipelineWorker;
        fn start(self) -> __PipelineWorker {
            let () = self.__args;
            __PipelineWorker()
        }
    }
    impl ::pipeline::__private::MapItem for __PipelineWorker {
        type In = String;
        type Out = u64;
        #[inline]
        fn map(
            &mut self,
            item: Self::In,
        ) -> ::core::result::Result<
            ::core::option::Option<Self::Out>,
            ::pipeline::__private::BoxError,
        > {
            ::core::result::Result::map(
                <std::num::ParseIntError as ::pipeline::__private::StageError>::into_box(
                    parse(item),
                ),
                ::core::option::Option::Some,
            )
        }
    }
};
fn main() {
    assert_eq!(scale(2, 3), Some(6));
    assert_eq!(pairs([1].into_iter()).collect::< Vec < _ >> (), [(1, 1)]);
    assert_eq!(parse("7".to_owned()), Ok(7));
}
