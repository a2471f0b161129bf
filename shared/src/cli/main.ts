// The `trellis` command line; the move command is wired in by the io module.
process.stderr.write("trellis: no commands are available in this build\n");
process.exitCode = 1;
