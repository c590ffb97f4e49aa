"""The policy language: YAML reading with spans, the expression grammar and the policy AST."""
