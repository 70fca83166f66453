"""Matrix games: small simultaneous-move games (cyclic games for testing leagues and ratings)."""
