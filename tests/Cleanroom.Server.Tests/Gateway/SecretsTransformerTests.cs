using Cleanroom.Server.Gateway;
using Microsoft.AspNetCore.Http;

namespace Cleanroom.Server.Tests.Gateway;

public class SecretsTransformerTests
{
    private static readonly SecretsRoute Route = new("api.test", 443, "/v1/me?x=1");

    [Fact]
    public async Task The_upstream_request_carries_the_rendered_value_and_nothing_of_the_sandbox()
    {
        var context = new DefaultHttpContext();
        context.Request.Method = "GET";
        context.Request.Headers.Authorization = "cleanroom-secret-api_token-0123";
        context.Request.Headers["X-Forwarded-For"] = "10.1.0.2";
        context.Request.Headers.Accept = "application/json";
        context.Request.Headers.Host = "10.1.0.1:8170";
        using var request = new HttpRequestMessage();

        await new SecretsTransformer(Route, [("Authorization", "Bearer real-value")]).TransformRequestAsync(context, request, "https://api.test:443/", CancellationToken.None);

        Assert.Equal("https://api.test/v1/me?x=1", request.RequestUri!.ToString());
        Assert.Equal(["Bearer real-value"], request.Headers.GetValues("Authorization"));
        Assert.False(request.Headers.Contains("X-Forwarded-For"));
        Assert.Null(request.Headers.Host);
        Assert.Equal(["application/json"], request.Headers.GetValues("Accept"));
    }

    [Fact]
    public async Task A_response_header_echoing_the_value_never_reaches_the_sandbox()
    {
        var context = new DefaultHttpContext();
        using var response = new HttpResponseMessage(System.Net.HttpStatusCode.OK);
        response.Headers.TryAddWithoutValidation("X-Echo-Authorization", "Bearer real-value");
        response.Headers.TryAddWithoutValidation("X-Request-Id", "42");

        await new SecretsTransformer(Route, [("Authorization", "Bearer real-value")]).TransformResponseAsync(context, response, CancellationToken.None);

        Assert.False(context.Response.Headers.ContainsKey("X-Echo-Authorization"));
        Assert.Equal("42", context.Response.Headers["X-Request-Id"].ToString());
    }
}
