/* streamml gen: placeholder until it lands. */
#include "cli/cli.h"
int cmd_gen(int argc, char **argv)
{
    cli_args a;
    int code;
    if (cli_parse(cli_find_command("gen"), argc, argv, &a, &code)) {
        cli_args_release(&a);
        return code;
    }
    cli_args_release(&a);
    cli_error("gen", "not implemented yet");
    return EXIT_RUNTIME;
}
