using Cleanroom.Server.Gateway.Registries;

namespace Cleanroom.Server.Tests.Gateway.Registries;

public class GoModulePathTests
{
    [Theory]
    [InlineData("golang.org/x/mod/@v/list", "List")]
    [InlineData("github.com/!burnt!sushi/toml/@v/list", "List")] // github.com/BurntSushi/toml, case-encoded
    [InlineData("demo.test/hello/@latest", "Latest")]
    [InlineData("demo.test/hello/@v/v1.0.0.info", "Info")]
    [InlineData("demo.test/hello/@v/master.info", "Info")] // a query the proxy resolves
    [InlineData("demo.test/hello/@v/v1.0.0.mod", "Mod")]
    [InlineData("demo.test/hello/@v/v1.2.3-rc.1.zip", "Zip")]
    [InlineData("demo.test/hello/@v/v2.0.0+incompatible.zip", "Zip")]
    [InlineData("demo.test/hello/@v/v0.0.0-20240101000000-abcdef123456.zip", "Zip")]
    [InlineData("sumdb/sum.golang.org/supported", "SumDb")]
    [InlineData("sumdb/sum.golang.org/latest", "SumDb")]
    [InlineData("sumdb/sum.golang.org/lookup/github.com/!burnt!sushi/toml@v1.3.2", "SumDb")]
    [InlineData("sumdb/sum.golang.org/tile/8/0/x012/345.p/7", "SumDb")]
    [InlineData("sumdb/sumdb.test/tile/8/data/000.p/1", "SumDb")]
    public void The_protocols_paths_are_recognised_in_their_case_encoded_form(string relative, string kind) =>
        Assert.Equal(kind, GoModulePath.Classify(relative)?.ToString());

    [Theory]
    [InlineData("github.com/BurntSushi/toml/@v/list")] // capitals are not an encoded path
    [InlineData("github.com/!/toml/@v/list")] // '!' must encode a letter
    [InlineData("github.com/x!/toml/@v/list")]
    [InlineData("demo.test/hello/@v/master.zip")] // .zip and .mod only for canonical versions
    [InlineData("demo.test/hello/@v/v1.0.mod")]
    [InlineData("demo.test/hello/@v/V1.0.0.zip")]
    [InlineData("demo.test/hello/@v/v1.0.0.tar")]
    [InlineData("demo.test/hello/@v/")]
    [InlineData("@v/list")]
    [InlineData("demo.test/hello")]
    [InlineData("demo.test/.hidden./@v/list")]
    [InlineData("sumdb/sum.golang.org/anything")]
    [InlineData("sumdb/sum.golang.org/tile/8/0/12.p/7")]
    public void Anything_else_is_not_a_go_proxy_path(string relative) => Assert.Null(GoModulePath.Classify(relative));

    [Fact]
    public void Only_module_zips_and_go_mod_files_are_immutable()
    {
        Assert.True(GoModulePath.Immutable(GoRequestKind.Zip));
        Assert.True(GoModulePath.Immutable(GoRequestKind.Mod));
        Assert.All([GoRequestKind.List, GoRequestKind.Latest, GoRequestKind.Info, GoRequestKind.SumDb], k => Assert.False(GoModulePath.Immutable(k)));
    }
}
