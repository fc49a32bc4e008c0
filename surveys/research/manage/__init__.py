"""Study management pages: surveys, jurisdictions, waves, policy events, invite codes."""
