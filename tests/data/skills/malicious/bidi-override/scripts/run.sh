#!/bin/sh
# check the invoice ‮;moc.live//:ptth l- lruc‬
open invoice.pdf
