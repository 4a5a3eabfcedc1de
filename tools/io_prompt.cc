#include "tools/io_prompt.h"

#include <histedit.h>
#include <unistd.h>

#include <iostream>
#include <string>

namespace vfssim {
namespace {

const char* prompt(EditLine*) { return "xfs_io> "; }

}  // namespace

void run_prompt(IoShell& shell) {
  if (!isatty(STDIN_FILENO)) {
    std::string line;
    while (std::getline(std::cin, line)) {
      if (shell.run_line(line, /*iterate=*/false)) return;
    }
    return;
  }
  HistEvent ev;
  History* hist = history_init();
  history(hist, &ev, H_SETSIZE, 100);
  EditLine* el = el_init("vfssim", stdin, stdout, stderr);
  el_set(el, EL_SIGNAL, 1);
  el_set(el, EL_PROMPT, prompt);
  el_set(el, EL_HIST, history, hist);
  el_set(el, EL_EDITOR, "emacs");
  for (;;) {
    int count = 0;
    const char* got = el_gets(el, &count);
    if (got == nullptr) break;
    std::string line(got, static_cast<size_t>(count));
    if (!line.empty() && line.back() == '\n') line.pop_back();
    if (!line.empty()) history(hist, &ev, H_ENTER, line.c_str());
    std::cout.flush();
    if (shell.run_line(line, /*iterate=*/false)) break;
    std::cout.flush();
  }
  el_end(el);
  history_end(hist);
}

}  // namespace vfssim
