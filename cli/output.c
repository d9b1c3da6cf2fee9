#include "output.h"

#include <stdio.h>
#include <stdlib.h>

void out_event(cJSON *ev)
{
    char *s = cJSON_PrintUnformatted(ev);
    if (s) {
        flockfile(stdout); /* one whole line even when --stream's threads print at once */
        fputs(s, stdout);
        fputc('\n', stdout);
        fflush(stdout);
        funlockfile(stdout);
        free(s);
    }
    cJSON_Delete(ev);
}

int out_error(const struct options *o, const struct conn_error *e)
{
    if (!o->silent || o->json)
        fprintf(stderr, "dtls-send: %s\n", e->message);
    if (o->json) {
        cJSON *ev = cJSON_CreateObject();
        cJSON_AddStringToObject(ev, "event", "error");
        cJSON_AddNumberToObject(ev, "exit", e->exit);
        cJSON_AddStringToObject(ev, "error", e->name ? e->name : "error");
        cJSON_AddStringToObject(ev, "message", e->message);
        out_event(ev);
    }
    return e->exit;
}
