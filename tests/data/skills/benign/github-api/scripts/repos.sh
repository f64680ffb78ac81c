#!/bin/sh
set -eu
curl -fsS -H "Authorization: Bearer ${GITHUB_TOKEN}" "https://api.github.com/user/repos?per_page=100"
