#include "server/core/storage.h"

namespace yt {

const char* to_string(StorageError e) {
  switch (e) {
    case StorageError::kIo: return "storage i/o error";
    case StorageError::kConflict: return "conflict";
    case StorageError::kNotFound: return "not found";
  }
  return "?";
}

}  // namespace yt
