export { AppImage } from "./app-image";
export { projectRoot } from "./project-root";
