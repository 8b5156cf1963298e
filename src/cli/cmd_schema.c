/* streamml schema: placeholder until it lands. */
#include "cli/cli.h"
int cmd_schema(int argc, char **argv)
{
    cli_args a;
    int code;
    if (cli_parse(cli_find_command("schema"), argc, argv, &a, &code)) {
        cli_args_release(&a);
        return code;
    }
    cli_args_release(&a);
    cli_error("schema", "not implemented yet");
    return EXIT_RUNTIME;
}
