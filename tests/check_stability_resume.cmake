# A study interrupted during one run, then run again, gives the same results as the
# uninterrupted study (docs/stability.md, "Resuming"). Copies the finished study FINISHED to
# RESUMED, turns the run INTERRUPTED into an interrupted one (no DONE, a partial file, a
# missing attribution file), removes the summaries, runs PROGRAM --out RESUMED ARGS
# ("|"-separated) and compares stability.json and stability.tsv byte for byte.
file(REMOVE_RECURSE "${RESUMED}")
file(COPY "${FINISHED}/" DESTINATION "${RESUMED}")
file(REMOVE "${RESUMED}/${INTERRUPTED}/DONE" "${RESUMED}/${INTERRUPTED}/attributions.grad.npy"
     "${RESUMED}/stability.json" "${RESUMED}/stability.tsv" "${RESUMED}/stability.svg")
file(WRITE "${RESUMED}/${INTERRUPTED}/metrics.json" "{\"partial\": ")
string(REPLACE "|" ";" args "${ARGS}")
execute_process(COMMAND ${CMAKE_COMMAND} -E env OMP_WAIT_POLICY=PASSIVE "${PROGRAM}" --out "${RESUMED}" ${args}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the resumed study failed (${rc}):\n${err}")
endif()
if(NOT err MATCHES "7 of 8 runs already finished")
  message(FATAL_ERROR "the resumed study did not keep the 7 finished runs:\n${err}")
endif()
if(NOT err MATCHES "8/8 runs done \\(none, fraction 1, seed 2")
  message(FATAL_ERROR "the resumed study did not train the interrupted run again:\n${err}")
endif()
foreach(f stability.json stability.tsv)
  execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files "${FINISHED}/${f}" "${RESUMED}/${f}" RESULT_VARIABLE diff)
  if(NOT diff EQUAL 0)
    message(FATAL_ERROR "${f} of the resumed study differs from the uninterrupted one")
  endif()
  message(STATUS "${f}: resumed study equals the uninterrupted one")
endforeach()
if(NOT EXISTS "${RESUMED}/stability.svg")
  message(FATAL_ERROR "the resumed study wrote no stability.svg")
endif()
