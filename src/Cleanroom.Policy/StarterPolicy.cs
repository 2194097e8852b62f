namespace Cleanroom.Policy;

/// <summary>
/// The text of a new policy (<c>cleanroom init</c>), also the policy of a repository that has none: deny-all on one
/// pinned image, with every line a user is likely to change next there, commented. The server keeps a spare sandbox
/// warm for it at start, so it must be the same text everywhere: one place writes it.
/// </summary>
public static class StarterPolicy
{
    public static string Render(string pinnedImage) => $"""
        # Cleanroom policy: what this repository's sandboxes run and what they may reach.
        # Check it with: cleanroom policy validate
        version: 1
        sandbox:
          image:
            # Pinned by digest, so every sandbox runs exactly this image.
            ref: {pinnedImage}
          network:
            # Everything is blocked unless listed below, host and port exactly.
            default: deny
            # allow:
            #   - registry.npmjs.org:443
            #   - host: github.qkg1.top
            #     ports: [443]

        """;
}
