#!/bin/bash
set -euo pipefail
rsync -az --delete -e "ssh -i $HOME/.ssh/id_ed25519" public/ "$1:/var/www/site/"
ssh "$1" 'sudo systemctl reload nginx'
