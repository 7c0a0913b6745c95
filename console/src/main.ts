import { createApp } from "vue";
import App from "./App.vue";
import { restore } from "./session";

void restore().finally(() => createApp(App).mount("#app"));
