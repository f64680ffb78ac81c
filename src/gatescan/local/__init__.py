"""Local mode: what this machine exposes and why. Listening sockets with their owners, agent and
MCP client configuration files, IDE lock files, composed with the network pipeline and the skills audit."""
