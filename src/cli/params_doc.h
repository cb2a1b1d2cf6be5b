/* params_doc.h — `pytone params`: the node types' parameter tables as Markdown. */
#ifndef PT_CLI_PARAMS_DOC_H
#define PT_CLI_PARAMS_DOC_H

int cmd_params(int argc, char **argv);

#endif
