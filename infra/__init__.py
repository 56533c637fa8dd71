"""Process services below the rules: limits, caches, tokens, passwords, mail, audit buffer."""
