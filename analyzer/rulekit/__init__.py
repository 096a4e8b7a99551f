"""What rules share: the registry that finds them, evidence and remediation helpers, the rule table."""
