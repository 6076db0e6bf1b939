#!/usr/bin/env bash
# rsh agent for pfs-run --fake-nodes (plm_rsh_agent): "ssh [options] HOST COMMAND..." runs
# COMMAND on this host, so one machine can pose as several nodes (127.0.0.2, 127.0.0.3, ...).
while [[ $# -gt 0 && "$1" == -* ]]; do shift; done
shift  # the host name
exec bash -c "$*"
